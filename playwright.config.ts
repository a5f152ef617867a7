import { defineConfig } from '@playwright/test';

// The specs launch the Debian browsers themselves (e2e/support/browsers.ts) because one call
// spans two browsers, so there are no per-browser projects here. global-setup serves the
// repository on a free 127.0.0.1 port; run `npm run build` first.
//
// Two projects: `calls` runs in parallel; `audio` (the tests tagged @audio: what the receiver hears
// at the sound server, and the demo's silence meter) runs after it, one test at a time, so no
// other browser competes for the CPU while audio is measured: their bounds are about
// correctness, and must not depend on what else runs.
export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/support/global-setup.ts',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // Each test runs up to two browsers; keep the machine's CPU from turning timing into flakes.
  workers: process.env.CI ? 2 : 3,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  projects: [
    {
      name: 'calls',
      testMatch: '*.spec.ts',
      grepInvert: /@audio/,
      fullyParallel: true,
    },
    {
      name: 'audio',
      testMatch: '*.spec.ts',
      grep: /@audio/,
      dependencies: ['calls'],
      workers: 1,
    },
  ],
});
