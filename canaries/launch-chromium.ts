import { type Browser, chromium } from 'playwright-core';
import { EnvironmentError } from '../core/errors.ts';
import { findToolOrThrow } from '../core/tools.ts';

/**
 * Flags for a Chromium that needs no outside network and runs as root in a container: no sandbox
 * (root), no GPU, no QUIC, and none of the background fetches (updates, sync, safe browsing lists).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--mute-audio',
];

export interface LaunchedChromium {
  browser: Browser;
  /** Closes the browser (Playwright removes its temporary profile). */
  close(): Promise<void>;
}

/**
 * Launches the system Chromium (found with `findTool('chromium')`; never downloads one). Playwright's
 * `launch` gives it a fresh temporary user-data-dir of its own (it refuses `--user-data-dir` in `args`)
 * and deletes it on close. One browser per run; canaries each get their own context.
 */
export async function launchChromium(options: { executablePath?: string } = {}): Promise<LaunchedChromium> {
  const executablePath = options.executablePath ?? findToolOrThrow('chromium');
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: 30_000,
    });
  } catch (error) {
    throw new EnvironmentError('tool-missing', `could not launch Chromium at ${executablePath}`, {
      cause: error,
      hint: 'check that chromium runs (`chromium --headless --no-sandbox --version`) or set OPSPROOF_CHROMIUM',
    });
  }
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
