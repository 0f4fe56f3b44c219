// The target guardian: a tiny process started next to every target opsproof starts, so a target never
// outlives the controller — not even after kill -9, which no handler in the controller can catch.
//
// The controller (runner/local-target.ts) talks to it over an IPC channel:
//   { type: 'watch', pid }          a target's process group (pid = pgid) to clean up
//   { type: 'paused', pid, paused } whether it is SIGSTOPped (it is resumed first either way)
//   { type: 'forget', pid }         the target exited on its own or was stopped
//   { type: 'exit' }                the run stopped its targets normally: clean up what is left, exit
// It answers `{ type: 'ready' }` once it listens; the controller spawns no target before that, since a
// guardian that starts after the controller died cannot read what it was told.
// When the channel disconnects (the controller died by any means), every watched group — and every
// process group holding a process with this guardian's mark (argv[2]) in its environment, which
// catches a target spawned just before the controller died — gets SIGCONT and SIGTERM, then SIGKILL
// after GRACE_MS, and the guardian exits.
//
// Plain JavaScript without dependencies so it starts in milliseconds, and it holds nothing but the
// channel: it cannot outlive the controller by more than the grace period.

import { readdirSync, readFileSync } from 'node:fs';

const GRACE_MS = 3000;
const POLL_MS = 50;

/** pid → { paused } */
const watched = new Map();
let cleaning = false;

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/** Whether any live (non-zombie) process remains in the group. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // No /proc: trust kill(0).
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

/**
 * Process groups of the processes that carry this guardian's mark in their environment (argv[2],
 * set on every target the controller spawns): a target spawned just before the controller died was
 * never announced over the channel, and its children inherit the mark.
 */
function markedGroups() {
  const mark = process.argv[2];
  if (!mark) return [];
  const needle = `OPSPROOF_GUARDIAN_MARK=${mark}`;
  const groups = new Set();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      groups.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]));
    } catch {
      // Another user's process, or it ended while we looked.
    }
  }
  return [...groups];
}

async function cleanUpAndExit() {
  if (cleaning) return;
  cleaning = true;
  const pids = [...new Set([...watched.keys(), ...markedGroups()])];
  for (const pid of pids) {
    // A stopped process cannot act on SIGTERM: resume it first.
    signalGroup(pid, 'SIGCONT');
    signalGroup(pid, 'SIGTERM');
  }
  const deadline = Date.now() + GRACE_MS;
  let alive = pids.filter(groupAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    alive = alive.filter(groupAlive);
  }
  for (const pid of alive) signalGroup(pid, 'SIGKILL');
  process.exit(0);
}

process.on('message', (message) => {
  if (!message || typeof message !== 'object') return;
  const pid = Number(message.pid);
  switch (message.type) {
    case 'watch':
      if (Number.isInteger(pid) && pid > 0) watched.set(pid, { paused: false });
      break;
    case 'paused':
      if (watched.has(pid)) watched.get(pid).paused = message.paused === true;
      break;
    case 'forget':
      watched.delete(pid);
      break;
    case 'exit':
      void cleanUpAndExit();
      break;
  }
});
process.on('disconnect', () => void cleanUpAndExit());
// Started in its own process group, so a terminal's Ctrl-C never reaches it; should a signal reach it
// anyway, clean up rather than leave targets without a guardian.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void cleanUpAndExit());
// The controller may have died before this process even started listening (then it had started no
// target: it waits for `ready`).
if (process.connected) {
  process.send({ type: 'ready' }, () => {
    // The controller may be gone already: 'disconnect' follows.
  });
} else {
  void cleanUpAndExit();
}
