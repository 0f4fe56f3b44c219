// `npm run bench [-- NAME…]`: runs every bench/*.bench.ts (or only those named, e.g. `-- gate load`) one
// after another as child processes via tsx, streams their output, then prints a table of results.
// Each bench is a standalone script owned by its team; it prints its own figures and ratios.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { repoPath } from '../core/tools.ts';

interface BenchRun {
  name: string;
  code: number | null;
  seconds: number;
  /** Lines the bench printed on stdout (its results). */
  lines: string[];
}

const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const files = readdirSync(repoPath('bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.includes(basename(f, '.bench.ts')))
  .sort();

if (files.length === 0) {
  process.stderr.write(`bench: nothing matches ${filters.join(', ') || '*.bench.ts'}\n`);
  process.exit(2);
}

function runBench(file: string): Promise<BenchRun> {
  const name = basename(file, '.bench.ts');
  const started = performance.now();
  return new Promise((resolve) => {
    process.stderr.write(`\n── bench ${name} ──\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', repoPath('bench', file)], {
      cwd: repoPath(),
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, OPSPROOF_BENCH: '1' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) =>
      resolve({
        name,
        code,
        seconds: (performance.now() - started) / 1000,
        lines: out.split('\n').filter((l) => l.trim() !== ''),
      }),
    );
  });
}

const results: BenchRun[] = [];
for (const file of files) results.push(await runBench(file));

const width = Math.max(...results.map((r) => r.name.length), 5);
process.stdout.write(`\n${'bench'.padEnd(width)}  status  time     results\n`);
for (const r of results) {
  const status = r.code === 0 ? 'ok' : `exit ${r.code}`;
  const [first = '(no output)', ...rest] = r.lines;
  process.stdout.write(
    `${r.name.padEnd(width)}  ${status.padEnd(6)}  ${`${r.seconds.toFixed(1)}s`.padEnd(7)}  ${first}\n`,
  );
  for (const line of rest) process.stdout.write(`${''.padEnd(width + 19)}${line}\n`);
}
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
