// Runs once before the e2e specs: checks the built bundles and the files the ES module's import
// maps point at exist, and serves the repository on a free 127.0.0.1 port. The URL reaches the
// workers through process.env (set here, before they start).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Files the pages load; the ESM pages' import maps point at the last two, as they are. */
const required = [
  'dist/rekey-rtc.mjs',
  'dist/rekey-rtc.umd.min.js',
  'node_modules/eventemitter3/dist/eventemitter3.esm.js',
  'node_modules/webrtc-adapter/src/js/utils.js',
];

export default async function globalSetup(): Promise<() => Promise<void>> {
  const missing = required.filter((file) => !existsSync(`${root}${file}`));
  if (missing.length > 0) {
    throw new Error(
      `e2e: missing ${missing.join(', ')}. Run \`npm run build\` (and \`npm ci\`) first.`,
    );
  }

  const server = await startStaticServer({ root });
  process.env.REKEY_E2E_BASE_URL = server.url;
  return () => server.close();
}
