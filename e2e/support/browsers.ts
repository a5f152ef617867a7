// Launching the Debian browsers the way FACTS.md found to work, and opening the call pages.
import { chromium, firefox, type Browser, type ConsoleMessage, type Page } from '@playwright/test';

export type BrowserName = 'chromium' | 'firefox';

export interface LaunchOptions {
  /** Extra Firefox prefs, merged over the defaults below. Ignored for Chromium. */
  firefoxPrefs?: Record<string, string | number | boolean>;
  /** @default true */
  headless?: boolean;
}

const CHROMIUM_PATH = process.env.REKEY_CHROMIUM_PATH ?? '/usr/bin/chromium';
const FIREFOX_PATH = process.env.REKEY_FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Plain host candidates instead of .local mDNS names, so two browser processes reach each
  // other without an mDNS responder.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  'media.autoplay.default': 0,
  'media.navigator.permission.disabled': true,
  // Same reason as Chromium's WebRtcHideLocalIpsWithMdns.
  'media.peerconnection.ice.obfuscate_host_addresses': false,
};

export async function launchBrowser(
  name: BrowserName,
  options: LaunchOptions = {},
): Promise<Browser> {
  const headless = options.headless ?? true;
  if (name === 'chromium') {
    return chromium.launch({ executablePath: CHROMIUM_PATH, headless, args: CHROMIUM_ARGS });
  }
  // Stock Firefox over WebDriver BiDi (Playwright 1.64.1; 1.65 fails at newPage, FACTS.md).
  return firefox.launch({
    channel: 'moz-firefox',
    executablePath: FIREFOX_PATH,
    headless,
    firefoxUserPrefs: { ...FIREFOX_PREFS, ...options.firefoxPrefs },
  });
}

export function baseURL(): string {
  const url = process.env.REKEY_E2E_BASE_URL;
  if (!url) throw new Error('REKEY_E2E_BASE_URL is not set: run through playwright.config.ts');
  return url;
}

/** Console errors and uncaught page errors, kept per page for failure messages. */
const pageProblems = new WeakMap<Page, string[]>();

export function problemsOf(page: Page): string[] {
  return pageProblems.get(page) ?? [];
}

/**
 * Opens a call page in a fresh context of `browser` (two pages of one browser never share
 * state) and waits until the page's harness has loaded the SDK.
 * @param path e.g. `/e2e/pages/call-esm.html`, resolved against the static server
 */
export async function openCallPage(browser: Browser, path: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  pageProblems.set(page, problems);
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  await page.goto(new URL(path, baseURL()).href);
  try {
    await page.waitForFunction(() => window.harnessReady === true, undefined, { timeout: 10_000 });
  } catch (error) {
    throw new Error(
      `${path} did not load the SDK: ${problems.join(' | ') || 'no page errors'} (${error})`,
    );
  }
  return page;
}
