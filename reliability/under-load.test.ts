import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { runOpenEngine } from '../load/open-engine.ts';
import { startOtlpReceiver } from '../telemetry/embedded/otlp-receiver.ts';
import { SpanStore } from '../telemetry/embedded/span-store.ts';

// It keeps working under load: the OTLP receiver and span store under ~10 000 spans/s stay bounded
// (oldest evicted and counted), and the open-model engine emits every per-second tick.

const span = (trace: number, i: number) => ({
  traceId: trace.toString(16).padStart(32, '0'),
  spanId: (i + 1).toString(16).padStart(16, '0'),
  name: 'GET /api/measurements',
  kind: 2,
  startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
  endTimeUnixNano: String(BigInt(Date.now() + 3) * 1_000_000n),
  attributes: [
    { key: 'http.route', value: { stringValue: '/api/measurements' } },
    { key: 'correlation.id', value: { stringValue: `c-${trace}-${i}` } },
  ],
  status: { code: 1 },
});

test('OTLP receiver at ~10 000 spans/s for 4 s: bounded store, evictions counted, heap bounded', async () => {
  const maxSpans = 5000;
  const store = new SpanStore({ maxSpans });
  const receiver = await startOtlpReceiver(store);
  try {
    const perRequest = 500;
    const seconds = 4;
    const requestsPerSecond = 20; // 20 × 500 = 10 000 spans/s
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let sent = 0;
    let trace = 0;
    const t0 = performance.now();
    for (let s = 0; s < seconds; s++) {
      const batch = Array.from({ length: requestsPerSecond }, async () => {
        const body = JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'load' } }] },
              scopeSpans: [{ spans: Array.from({ length: perRequest }, (_, i) => span(++trace, i)) }],
            },
          ],
        });
        const res = await fetch(receiver.tracesUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(res.status).toBe(200);
        await res.body?.cancel();
        sent += perRequest;
      });
      await Promise.all(batch);
      // Pace to one batch per second (if the machine keeps up; a slow one just sends fewer per second).
      const wait = (s + 1) * 1000 - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    global.gc?.();
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    console.log(
      `under-load: ${sent} spans in ${((performance.now() - t0) / 1000).toFixed(1)} s, store ${store.size}/${maxSpans}, evicted ${store.evicted}, heap growth ${heapGrowthMb.toFixed(1)} MB`,
    );
    expect(sent).toBe(perRequest * requestsPerSecond * seconds);
    expect(store.size).toBe(maxSpans);
    expect(store.evicted).toBe(sent - maxSpans);
    expect(receiver.rejected).toBe(0);
    // 40 000 spans went through; only 5 000 (a few MB) may stay. Generous bound for GC timing.
    expect(heapGrowthMb).toBeLessThan(64);
  } finally {
    await receiver.close();
  }
}, 30_000);

test('open-model engine at 2000 req/s for 10 s: one load.tick per second, none missed', async () => {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const timeline = new Timeline();
    const ticks: number[] = [];
    timeline.on((record) => {
      if (record.type === 'load.tick') ticks.push(record.second);
    });
    const profile = loadProfileSchema.parse({ rate: 2000, duration: '10s', timeout: '2s' });
    const summary = await runOpenEngine(profile, {
      target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      timeline,
      name: 'soak',
    });
    console.log(
      `under-load: open engine ${summary.requests} requests, ${summary.dropped} dropped, ticks ${ticks.join(',')}`,
    );
    const seconds = [...new Set(ticks.map((s) => Math.floor(s)))];
    for (let s = 1; s <= 10; s++) expect(seconds, `tick for second ${s}`).toContain(s);
    expect(summary.errors).toBe(0);
  } finally {
    await new Promise((r) => server.close(r));
  }
}, 30_000);
