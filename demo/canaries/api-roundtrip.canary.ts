import { defineCanary } from 'opsproof';

interface Measurement {
  id: string;
  sensor: string;
  value: number;
  unit: string;
}

/**
 * The API's critical path: a measurement POSTed comes back by id and in the list. Named
 * `api-roundtrip`: the CanaryFailing alarm watches this CanaryName.
 */
export default defineCanary({ name: 'api-roundtrip', type: 'api' }, async ({ http, step, baseUrl }) => {
  const sensor = `canary-${Date.now().toString(36)}`;
  const created = await step('create measurement', async () => {
    const res = await http.post(`${baseUrl}/api/measurements`, { sensor, value: 21.5, unit: 'celsius' });
    if (res.status !== 201)
      throw new Error(`POST /api/measurements returned ${res.status}: ${res.body.slice(0, 200)}`);
    const body = res.json<Measurement>();
    if (!body.id) throw new Error('the created measurement has no id');
    return body;
  });
  await step('read it back', async () => {
    const res = await http.get(`${baseUrl}/api/measurements/${encodeURIComponent(created.id)}`);
    if (res.status !== 200) throw new Error(`GET /api/measurements/${created.id} returned ${res.status}`);
    const body = res.json<Measurement>();
    if (body.sensor !== sensor || body.value !== 21.5 || body.unit !== 'celsius') {
      throw new Error(`read back ${JSON.stringify(body)}, expected sensor ${sensor}, 21.5 celsius`);
    }
  });
  await step('listed', async () => {
    const res = await http.get(`${baseUrl}/api/measurements?limit=50`);
    if (res.status !== 200) throw new Error(`GET /api/measurements returned ${res.status}`);
    const { items } = res.json<{ items: Measurement[] }>();
    if (!items.some((m) => m.id === created.id))
      throw new Error(`measurement ${created.id} is not in the list`);
  });
});
