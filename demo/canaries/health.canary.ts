import { defineCanary } from 'opsproof';

/** The three health endpoints answer, and the detailed report says every component is ok. */
export default defineCanary({ name: 'health', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('live', async () => {
    const res = await http.get(`${baseUrl}/health/live`);
    if (res.status !== 200) throw new Error(`/health/live returned ${res.status}`);
  });
  await step('ready', async () => {
    const res = await http.get(`${baseUrl}/health/ready`);
    if (res.status !== 200)
      throw new Error(`/health/ready returned ${res.status}: ${res.body.slice(0, 200)}`);
  });
  await step('detailed', async () => {
    const res = await http.get(`${baseUrl}/health/detailed`);
    if (res.status !== 200) throw new Error(`/health/detailed returned ${res.status}`);
    const report = res.json<{ status?: string; components?: Record<string, { status?: string }> }>();
    const failing = Object.entries(report.components ?? {})
      .filter(([, component]) => component.status !== 'ok')
      .map(([name, component]) => `${name}=${component.status}`);
    if (report.status !== 'ok')
      throw new Error(`status is ${report.status}: ${failing.join(', ') || 'no detail'}`);
  });
});
