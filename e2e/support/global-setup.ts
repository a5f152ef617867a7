// Runs once before the e2e specs: checks the built bundles exist, prepares the browser-loadable
// copies of the ES module's dependencies, and serves the repository on a free 127.0.0.1 port.
// The URL reaches the workers through process.env (set here, before they start).
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startStaticServer } from './static-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Files the pages load; the ESM page's import map points at the last two. */
export const VENDOR_DIR = 'e2e-artifacts/vendor';
const required = [
  'dist/rekey-rtc.mjs',
  'dist/rekey-rtc.umd.min.js',
  'node_modules/eventemitter3/dist/eventemitter3.esm.js',
  'node_modules/webrtc-adapter/src/js/adapter_core.js',
];

export default async function globalSetup(): Promise<() => Promise<void>> {
  const missing = required.filter((file) => !existsSync(`${root}${file}`));
  if (missing.length > 0) {
    throw new Error(
      `e2e: missing ${missing.join(', ')}. Run \`npm run build\` (and \`npm ci\`) first.`,
    );
  }

  // webrtc-adapter ships no file a browser can import as is: its ES sources use extensionless
  // relative imports and a bare import of `sdp`, which is CommonJS. Bundle it into one ES module
  // for the import map, as an app's bundler would. eventemitter3's dist ESM file works as is.
  mkdirSync(`${root}${VENDOR_DIR}`, { recursive: true });
  await build({
    entryPoints: [`${root}node_modules/webrtc-adapter/src/js/adapter_core.js`],
    outfile: `${root}${VENDOR_DIR}/webrtc-adapter.mjs`,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    logLevel: 'warning',
  });

  const server = await startStaticServer({ root });
  process.env.REKEY_E2E_BASE_URL = server.url;
  return () => server.close();
}
