// `test` with a `launch` fixture: browsers launched through it are closed after the test, pass
// or fail, so one failing spec cannot leak a browser process into the next.
import { test as base, type Browser } from '@playwright/test';
import { launchBrowser, type BrowserName, type LaunchOptions } from './browsers';

export const test = base.extend<{
  launch: (name: BrowserName, options?: LaunchOptions) => Promise<Browser>;
}>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form.
  launch: async ({}, use) => {
    const launched: Browser[] = [];
    await use(async (name, options) => {
      const browser = await launchBrowser(name, options);
      launched.push(browser);
      return browser;
    });
    await Promise.all(launched.map((browser) => browser.close().catch(() => undefined)));
  },
});

export { expect } from '@playwright/test';
