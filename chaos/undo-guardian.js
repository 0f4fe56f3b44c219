// The undo guardian: a tiny process started next to every command stand-in that has an `undo`, so
// the undo runs even when the controller dies by kill -9, which no handler in the controller can
// catch. The same design as runner/target-guardian.js and chaos/fis-guardian.js.
//
// The controller (chaos/run-command-stand-in.ts) talks to it over an IPC channel:
//   { type: 'arm', undo: [argv…], cwd, timeoutMs }   sent before the command runs
//   { type: 'running', pid }                         the `run` command's process group, while it runs
//   { type: 'done' }                                 the controller ran the undo itself (or nothing
//                                                    ran): exit without running it
// It answers `{ type: 'ready' }` once it listens. When the channel disconnects while armed (the
// controller died by any means) it kills what is left of the `run` command (SIGKILL to its group, so
// it cannot apply anything after the undo), runs the undo once (argv, no shell; SIGKILL after
// timeoutMs) and exits with the undo's exit code.
//
// Plain JavaScript without dependencies, so it starts in tens of milliseconds.

import { spawn } from 'node:child_process';

let armed;
let acting = false;
let runningPid;

function undoAndExit() {
  if (acting) return;
  acting = true;
  if (!armed) process.exit(0);
  if (runningPid) {
    try {
      process.kill(-runningPid, 'SIGKILL');
    } catch {
      // It ended already.
    }
  }
  let child;
  try {
    child = spawn(armed.undo[0], armed.undo.slice(1), { cwd: armed.cwd, stdio: 'ignore' });
  } catch {
    process.exit(1);
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), armed.timeoutMs);
  child.once('error', () => process.exit(1));
  child.once('exit', (code) => {
    clearTimeout(timer);
    process.exit(code ?? 1);
  });
}

process.on('message', (message) => {
  if (!message || typeof message !== 'object' || acting) return;
  switch (message.type) {
    case 'arm':
      if (Array.isArray(message.undo) && message.undo.length > 0) {
        armed = {
          undo: message.undo.map(String),
          cwd: typeof message.cwd === 'string' ? message.cwd : process.cwd(),
          timeoutMs: Number(message.timeoutMs) > 0 ? Number(message.timeoutMs) : 30_000,
        };
      }
      break;
    case 'running':
      if (Number.isInteger(message.pid) && message.pid > 0) runningPid = message.pid;
      break;
    case 'done':
      process.exit(0);
      break;
  }
});
process.on('disconnect', () => undoAndExit());
// Started in its own process group, so a terminal's Ctrl-C goes to the controller, which runs the
// undo itself and then says `done`; should a signal reach this process anyway, undo rather than leave
// the command's effect behind.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undoAndExit());
if (process.connected) {
  process.send({ type: 'ready' }, () => {
    // The controller may be gone already: 'disconnect' follows.
  });
} else {
  process.exit(0);
}
