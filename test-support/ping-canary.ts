import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a canary project into `dir`: `opsproof.config.json` holding `config` and `ping.canary.ts`,
 * an api canary `ping` with one step `root` that fails with `root returned STATUS` unless `GET /`
 * answers 200. `retries` is written into the canary only when given (the canary default otherwise).
 */
export function writePingProject(dir: string, config: object, options: { retries?: number } = {}): void {
  writeFileSync(join(dir, 'opsproof.config.json'), JSON.stringify(config));
  const retries = options.retries === undefined ? '' : `, retries: ${options.retries}`;
  writeFileSync(
    join(dir, 'ping.canary.ts'),
    `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'ping', type: 'api'${retries} }, async ({ http, step, baseUrl }) => {
  await step('root', async () => {
    const res = await http.get(baseUrl + '/');
    if (res.status !== 200) throw new Error('root returned ' + res.status);
  });
});
`,
  );
}
