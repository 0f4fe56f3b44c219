import { expect, test } from 'vitest';
import { decideFault, type FaultOutcome } from './decide-fault.ts';
import { buildGlob, parseFaultSpec } from './parse-fault-spec.ts';

function active(spec: string) {
  const fault = parseFaultSpec(spec);
  return { spec, fault, pathRe: fault.path === undefined ? undefined : buildGlob(fault.path) };
}

test.each<{
  name: string;
  faults: string[];
  request: [method: string, path: string];
  /** The random values handed out, in order; every one must be used. */
  random: number[];
  delayMs: number;
  terminal: string | undefined;
  outcomes: FaultOutcome[];
}>([
  {
    name: 'no fault',
    faults: [],
    request: ['GET', '/'],
    random: [],
    delayMs: 0,
    terminal: undefined,
    outcomes: [],
  },
  {
    name: 'a latency delays by its ms (jitter 0 still draws)',
    faults: ['latency:ms=100'],
    request: ['GET', '/'],
    random: [0.9],
    delayMs: 100,
    terminal: undefined,
    outcomes: ['injected'],
  },
  {
    name: 'latencies add up, each ms ± jitter',
    faults: ['latency:ms=100', 'latency:ms=50,jitter=10'],
    request: ['GET', '/x'],
    random: [0.5, 0.75],
    delayMs: 155,
    terminal: undefined,
    outcomes: ['injected', 'injected'],
  },
  {
    name: 'jitter never takes a latency below 0',
    faults: ['latency:ms=5,jitter=10'],
    request: ['GET', '/'],
    random: [0],
    delayMs: 0,
    terminal: undefined,
    outcomes: ['injected'],
  },
  {
    name: 'the first terminal fault wins; a later one is matched, not applied',
    faults: ['error:status=503', 'reset'],
    request: ['GET', '/'],
    random: [],
    delayMs: 0,
    terminal: 'error:status=503',
    outcomes: ['injected', 'matched'],
  },
  {
    name: 'a latency after the terminal fault still delays it',
    faults: ['blackhole', 'latency:ms=10'],
    request: ['GET', '/'],
    random: [0.3],
    delayMs: 10,
    terminal: 'blackhole',
    outcomes: ['injected', 'injected'],
  },
  {
    name: 'percent not drawn: matched only, and the next terminal fault applies',
    faults: ['error:status=503,percent=50', 'reset'],
    request: ['GET', '/'],
    random: [0.6],
    delayMs: 0,
    terminal: 'reset',
    outcomes: ['matched', 'injected'],
  },
  {
    name: 'percent drawn: applied',
    faults: ['error:status=503,percent=50'],
    request: ['GET', '/'],
    random: [0.4],
    delayMs: 0,
    terminal: 'error:status=503,percent=50',
    outcomes: ['injected'],
  },
  {
    name: 'percent=0 never applies',
    faults: ['reset:percent=0'],
    request: ['GET', '/'],
    random: [0],
    delayMs: 0,
    terminal: undefined,
    outcomes: ['matched'],
  },
  {
    name: 'another path or method is not matched and draws nothing',
    faults: ['error:path=/api/*', 'latency:ms=10,method=POST,percent=50'],
    request: ['GET', '/health'],
    random: [],
    delayMs: 0,
    terminal: undefined,
    outcomes: ['unmatched', 'unmatched'],
  },
  {
    name: 'path glob and method match',
    faults: ['error:status=500,path=/api/*,method=POST'],
    request: ['POST', '/api/items/1'],
    random: [],
    delayMs: 0,
    terminal: 'error:status=500,path=/api/*,method=POST',
    outcomes: ['injected'],
  },
])('$name', ({ faults, request, random, delayMs, terminal, outcomes }) => {
  const values = [...random];
  const next = () => {
    const value = values.shift();
    if (value === undefined) throw new Error('random drawn more often than expected');
    return value;
  };
  const decision = decideFault(faults.map(active), request[0], request[1], next);
  expect(decision.delayMs).toBeCloseTo(delayMs, 9);
  expect(decision.terminal?.spec).toBe(terminal);
  expect(decision.outcomes).toEqual(outcomes);
  expect(values, 'random values left undrawn').toEqual([]);
});
