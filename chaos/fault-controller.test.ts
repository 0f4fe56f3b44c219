import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { experimentSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import { createControlApiController, createInProcessController } from './fault-controller.ts';
import { type FaultGateway, startFaultGateway } from './fault-gateway.ts';
import { parseFaultSpec } from './parse-fault-spec.ts';
import { runLocalExperiment } from './run-local-experiment.ts';

let upstream: http.Server;
let upstreamUrl: string;
beforeAll(async () => {
  upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => upstream.close(r)));

let gateway: FaultGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function gatewayWithTimeline(): Promise<{ gateway: FaultGateway; timeline: Timeline }> {
  const timeline = new Timeline();
  gateway = await startFaultGateway({ upstream: upstreamUrl, timeline });
  return { gateway, timeline };
}
const faultEvents = (timeline: Timeline) =>
  timeline.records().filter((r) => r.type === 'fault.start' || r.type === 'fault.end');

test('a fault the gateway is given directly is announced on its timeline, start and end', async () => {
  const { gateway, timeline } = await gatewayWithTimeline();
  const fault = gateway.addFault(parseFaultSpec('error:status=503'), 10_000, { experiment: 'x' });
  gateway.removeFault(fault.id, 'cleared');
  expect(faultEvents(timeline)).toMatchObject([
    {
      type: 'fault.start',
      faultId: fault.id,
      spec: 'error:status=503,percent=100',
      where: gateway.url,
      experiment: 'x',
    },
    { type: 'fault.end', faultId: fault.id, reason: 'cleared' },
  ]);
});

test('the in-process controller takes a fault value; the gateway leaves its events to the engine', async () => {
  const { gateway, timeline } = await gatewayWithTimeline();
  const controller = createInProcessController(gateway);
  const spec = parseFaultSpec('latency:ms=1,path=/api/*');
  const fault = await controller.addFault(spec, 10_000, { experiment: 'e', action: 'a' });
  expect(fault).toMatchObject({
    fault: spec,
    spec: 'latency:ms=1,percent=100,path=/api/*',
    action: 'a',
  });
  expect(await controller.faults()).toHaveLength(1);
  expect(await controller.removeFault(fault.id)).toMatchObject({ id: fault.id, endReason: 'cleared' });
  expect(faultEvents(timeline)).toEqual([]);
});

test('the control API controller sends the value as SPEC text; the gateway announces it on its own timeline', async () => {
  const { gateway, timeline } = await gatewayWithTimeline();
  const controller = createControlApiController(gateway.controlUrl, gateway.url);
  const spec = parseFaultSpec('error:status=502,percent=25,path=/orders/*,method=POST');
  const fault = await controller.addFault(spec, 10_000, { experiment: 'e', action: 'a' });
  expect(fault.fault).toEqual(spec);
  expect(gateway.fault(fault.id)).toMatchObject({ experiment: 'e', action: 'a', ttlMs: 10_000 });
  expect(await controller.removeFault(fault.id)).toMatchObject({ id: fault.id, endReason: 'cleared' });
  // Requests from outside the gateway's process: its own timeline (the `chaos gateway` command's) shows them.
  expect(faultEvents(timeline).map((r) => [r.type, r.faultId])).toEqual([
    ['fault.start', fault.id],
    ['fault.end', fault.id],
  ]);
});

test('the local engine on a gateway that shares its timeline: one fault.start and one fault.end per fault', async () => {
  const { gateway, timeline } = await gatewayWithTimeline();
  const fn = { resourceType: 'aws:lambda:function', resourceTags: { s: 'x' }, selectionMode: 'ALL' };
  const experiment = experimentSchema.parse({
    targets: { Functions: fn },
    actions: {
      errors: {
        actionId: 'aws:lambda:invocation-error',
        parameters: { duration: 'PT0.2S', invocationPercentage: '100', preventExecution: 'true' },
        targets: { Functions: 'Functions' },
      },
      delay: {
        actionId: 'aws:lambda:invocation-add-delay',
        parameters: { duration: 'PT0.2S', startupDelayMilliseconds: '1' },
        targets: { Functions: 'Functions' },
        startAfter: ['errors'],
      },
    },
  });
  // Each fault must match a request, or its activity fails.
  timeline.on((r) => {
    if (r.type === 'fault.start') void fetch(`${gateway.url}/x`).then((res) => res.arrayBuffer());
  });
  const journal = await runLocalExperiment('two-faults', experiment, {
    faults: createInProcessController(gateway),
    telemetry: { provider: 'embedded', getAlarmState: async () => 'OK' } as unknown as Telemetry,
    timeline,
    signal: new AbortController().signal,
  });
  expect(journal.status, journal.error).toBe('completed');
  const starts = timeline.ofType('fault.start');
  expect(starts.map((r) => [r.action, r.where])).toEqual([
    ['errors', gateway.url],
    ['delay', gateway.url],
  ]);
  expect(timeline.ofType('fault.end').map((r) => r.faultId)).toEqual(starts.map((r) => r.faultId));
});
