import { defineCanary } from 'opsproof';

/** A person's path through the web page: open it, fill the form, save, see "Saved <id>". */
export default defineCanary({ name: 'web-form', type: 'browser' }, async ({ page, step, baseUrl }) => {
  await step('open form', async () => {
    const res = await page.goto(`${baseUrl}/`);
    if (res?.status() !== 200) throw new Error(`GET / returned ${res?.status() ?? 'no response'}`);
    await page.getByRole('button', { name: 'Save' }).waitFor();
  });
  await step('fill form', async () => {
    await page.getByLabel('Sensor').fill('canary-web');
    await page.getByLabel('Value').fill('19.25');
    await page.getByLabel('Unit').selectOption('celsius');
  });
  await step('save', async () => {
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Saved \S+/ })
      .waitFor();
  });
});
