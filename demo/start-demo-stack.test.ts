import { expect, test } from 'vitest';
import { startDemoStack } from './start-demo-stack.ts';

test('without parts the stack is the service alone', async () => {
  const stack = await startDemoStack({ log: () => {} });
  try {
    expect(stack.url).toBe(stack.serviceUrl);
    expect(stack.controlUrl).toBeUndefined();
    expect((await fetch(`${stack.url}/health/ready`)).status).toBe(200);
  } finally {
    await stack.close();
  }
  await expect(fetch(`${stack.serviceUrl}/health/live`)).rejects.toThrow();
});

test('the gateway gets the service as upstream; parts close in reverse order', async () => {
  const events: string[] = [];
  const stack = await startDemoStack(
    { port: 0, log: () => {} },
    {
      startTelemetry: async () => {
        events.push('telemetry start');
        return { otlpUrl: 'http://127.0.0.1:9/', close: async () => void events.push('telemetry close') };
      },
      startGateway: async ({ upstream, listen }) => {
        events.push(`gateway start ${listen.host}:${listen.port}`);
        expect((await fetch(`${upstream}/health/ready`)).status).toBe(200);
        return {
          url: 'http://gateway',
          controlUrl: 'http://control',
          close: async () => void events.push('gateway close'),
        };
      },
    },
  );
  expect(stack).toMatchObject({
    url: 'http://gateway',
    controlUrl: 'http://control',
    otlpUrl: 'http://127.0.0.1:9/',
  });
  const detailed = await (await fetch(`${stack.serviceUrl}/health/detailed`)).json();
  expect(detailed.components.config.tracing).toBe('otlp');
  await stack.close();
  expect(events).toEqual([
    'telemetry start',
    'gateway start 127.0.0.1:0',
    'gateway close',
    'telemetry close',
  ]);
});

test('a failing gateway stops what already started', async () => {
  let telemetryClosed = false;
  let upstream = '';
  await expect(
    startDemoStack(
      { log: () => {} },
      {
        startTelemetry: async () => ({
          close: async () => {
            telemetryClosed = true;
          },
        }),
        startGateway: async (options) => {
          upstream = options.upstream;
          throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
        },
      },
    ),
  ).rejects.toThrow('EADDRINUSE');
  expect(telemetryClosed).toBe(true);
  await expect(fetch(`${upstream}/health/live`)).rejects.toThrow();
});
