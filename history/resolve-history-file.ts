import { resolve } from 'node:path';

/** The default history database, beside the run directories. */
const DEFAULT_HISTORY_FILE = 'reports/history.db';

/**
 * Where the history lives: `--history FILE`, else `OPSPROOF_HISTORY`, else the config's `history.file`
 * (relative to the config file), else `reports/history.db` in the working directory. `off` (flag or
 * env) records nothing: `undefined`.
 */
export function resolveHistoryFile(input: {
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  configFile?: string | undefined;
  configDir?: string | undefined;
  cwd?: string;
}): string | undefined {
  const cwd = input.cwd ?? process.cwd();
  const fromEnv = (input.env ?? process.env).OPSPROOF_HISTORY?.trim();
  const chosen = input.flag?.trim() || fromEnv || undefined;
  if (chosen !== undefined) return isOff(chosen) ? undefined : resolve(cwd, chosen);
  if (input.configFile) return resolve(input.configDir ?? cwd, input.configFile);
  return resolve(cwd, DEFAULT_HISTORY_FILE);
}

const isOff = (value: string) => ['off', '0', 'false', 'none'].includes(value.toLowerCase());
