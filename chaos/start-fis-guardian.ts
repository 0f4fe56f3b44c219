import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FisClient } from '@aws-sdk/client-fis';
import { describeError } from '../core/errors.ts';

/** Tag unique to one StartExperiment call, so the guardian finds an experiment whose id it never got. */
export const START_TAG = 'opsproof:start';

/** Credentials as the SDK resolved them; sent over the IPC channel only, never to disk or argv. */
export interface GuardianCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Where and how the guardian reaches FIS: the controller's own client, as resolved. */
export interface GuardianConnection {
  region: string;
  /** Set when the client has an explicit endpoint; `AWS_ENDPOINT_URL*` reach the guardian through its environment. */
  endpoint?: string;
  credentials?: GuardianCredentials;
}

/** What the guardian must know before StartExperiment is sent. */
export interface GuardianArm extends GuardianConnection {
  experiment: string;
  templateId: string;
  /** `[START_TAG, unique value]`, also set on the experiment. */
  startTag: [string, string];
  /** File the guardian appends one JSON line to when it acts after the controller is gone. */
  logFile?: string;
}

/** The controller's side of `fis-guardian.js`. */
export interface FisGuardian {
  readonly pid: number | undefined;
  arm(arm: GuardianArm): void;
  /** StartExperiment answered with this id. */
  watch(experimentId: string): void;
  credentials(credentials: GuardianCredentials): void;
  /** The experiment ended or FIS was asked to stop it: the guardian exits without touching it. */
  done(): void;
  /** The controller stopped following the experiment: the guardian stops it now, then exits. */
  stop(): void;
}

export interface StartFisGuardianOptions {
  /** The guardian program (tests). @defaultValue chaos/fis-guardian.js */
  script?: string;
  /** Longest wait for the guardian's `ready`. @defaultValue 5000 */
  readyTimeoutMs?: number;
  /** The guardian exited before `done` or `stop`: kill -9 of this process is no longer covered. */
  onLostGuardian?: (description: string) => void;
}

const GUARDIAN_PATH = fileURLToPath(new URL('./fis-guardian.js', import.meta.url));

/**
 * Starts the guardian of one FIS experiment: a plain-JS process in its own process group holding an
 * IPC channel to this one, and resolves once it listens. When the channel closes before `done` —
 * this process died, even by SIGKILL — it calls StopExperiment (retried for up to 30 s) and exits.
 * Its handles are unref'd: it never keeps this process alive. Rejects when it cannot start, exits
 * early or is not ready in time (the caller carries on without it).
 */
export function startFisGuardian(options: StartFisGuardianOptions = {}): Promise<FisGuardian> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [options.script ?? GUARDIAN_PATH], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        // Its own process group: a terminal's Ctrl-C goes to the controller, which stops the
        // experiment itself and then tells the guardian `done`.
        detached: process.platform !== 'win32',
      });
    } catch (error) {
      reject(new Error(describeError(error)));
      return;
    }
    child.unref();
    child.channel?.unref();
    let settled = false;
    let finished = false;
    const send = (message: object, then?: () => void) => {
      if (!child.connected) return;
      try {
        child.send(message, () => then?.());
      } catch {
        // The channel closed in the meantime.
      }
    };
    const guardian: FisGuardian = {
      get pid() {
        return child.pid;
      },
      arm: (arm) => send({ type: 'arm', ...arm }),
      watch: (experimentId) => send({ type: 'watch', experimentId }),
      credentials: (credentials) => send({ type: 'credentials', credentials }),
      done() {
        if (finished) return;
        finished = true;
        send({ type: 'done' }, () => {
          if (child.connected) child.disconnect();
        });
      },
      stop() {
        if (finished) return;
        finished = true;
        send({ type: 'stop' });
      },
    };
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      finished = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(reason));
    };
    const readyTimeoutMs = options.readyTimeoutMs ?? 5000;
    const timer = setTimeout(() => fail(`it was not ready within ${readyTimeoutMs} ms`), readyTimeoutMs);
    child.on('error', (error) => fail(describeError(error)));
    child.once('exit', (code, signal) => {
      const how = signal ?? `code ${code}`;
      if (!settled) fail(`it exited (${how}) before it was ready`);
      else if (!finished) options.onLostGuardian?.(`exited (${how})`);
    });
    child.on('message', (message: { type?: unknown } | null) => {
      if (settled || message?.type !== 'ready') return;
      settled = true;
      clearTimeout(timer);
      resolve(guardian);
    });
  });
}

/** The region, explicit endpoint and current credentials of an SDK client, for its guardian. */
export async function readGuardianConnection(fis: FisClient): Promise<GuardianConnection> {
  const region = await fis.config.region();
  const endpoint = fis.config.endpoint ? await fis.config.endpoint() : undefined;
  const credentials = await readGuardianCredentials(fis);
  return {
    region,
    ...(endpoint
      ? {
          endpoint: `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}`,
        }
      : {}),
    ...(credentials ? { credentials } : {}),
  };
}

/** The client's credentials as resolved now (the SDK memoizes and refreshes them); undefined when it has none. */
export async function readGuardianCredentials(fis: FisClient): Promise<GuardianCredentials | undefined> {
  try {
    const identity = await fis.config.credentials();
    return {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}),
      ...(identity.expiration ? { expiration: identity.expiration } : {}),
    };
  } catch {
    // The guardian falls back to the SDK's chain from the environment it inherited.
    return undefined;
  }
}
