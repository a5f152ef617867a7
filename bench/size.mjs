#!/usr/bin/env node
// Bundle size budget (issue 2): min+gzip of both built bundles, gzip level 9.
// - script-tag bundle (dist/rekey-rtc.umd.min.js, webrtc-adapter included) <= 25 KB
// - ES module (dist/rekey-rtc.mjs, dependencies external), minified here first, <= 15 KB
// - the playout worklet module, which every call loads into its AudioWorklet: <= 2 KB
// - the telemetry add-on, which only apps that send compliance records load: <= 8 KB as a
//   script (eventemitter3 inside) and <= 7 KB as an ES module
// Prints a table, rewrites the "## Bundle size" section of BENCHMARKS.md, and exits 1 when a
// bundle is over budget (after writing the figures, so the failing numbers are on record).
// Usage: npm run build && npm run bench:size
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';
import { writeBenchmarksSection } from './benchmarks-file.mjs';

const KB = 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const command = 'npm run build && npm run bench:size';

const bundles = [
  {
    name: 'script tag (UMD, all deps)',
    file: 'dist/rekey-rtc.umd.min.js',
    budget: 25 * KB,
    alreadyMinified: true,
  },
  {
    name: 'ES module (deps external)',
    file: 'dist/rekey-rtc.mjs',
    budget: 15 * KB,
    alreadyMinified: false,
  },
  {
    // Fetched by the AudioWorklet of every call that plays remote audio.
    name: 'playout worklet module',
    file: 'dist/rekey-rtc-playout.worklet.js',
    budget: 2 * KB,
    alreadyMinified: true,
  },
  {
    name: 'telemetry add-on, script tag',
    file: 'dist/rekey-rtc-telemetry.umd.min.js',
    budget: 8 * KB,
    alreadyMinified: true,
  },
  {
    name: 'telemetry add-on, ES module',
    file: 'dist/telemetry.mjs',
    budget: 7 * KB,
    alreadyMinified: false,
  },
];

async function measure({ file, alreadyMinified }) {
  const path = `${root}${file}`;
  if (!existsSync(path)) {
    throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const source = readFileSync(path, 'utf8');
  const minified = alreadyMinified
    ? source
    : (await transform(source, { minify: true, format: 'esm', target: 'es2022' })).code;
  return {
    raw: Buffer.byteLength(source),
    min: Buffer.byteLength(minified),
    gzip: gzipSync(minified, { level: 9 }).length,
  };
}

const kb = (bytes) => `${(bytes / KB).toFixed(2)} KB`;

const rows = [];
for (const bundle of bundles) {
  const size = await measure(bundle);
  rows.push({ ...bundle, ...size, ok: size.gzip <= bundle.budget });
}

const header = ['Bundle', 'File', 'Raw', 'Minified', 'Min+gzip', 'Budget', 'Result'];
const cells = rows.map((r) => [
  r.name,
  `\`${r.file}\``,
  kb(r.raw),
  kb(r.min),
  kb(r.gzip),
  kb(r.budget),
  r.ok ? 'ok' : 'OVER',
]);

// Console table.
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => c.map((v, i) => v.padEnd(widths[i])).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const c of cells) console.log(line(c));

const date = new Date().toISOString().slice(0, 10);
await writeBenchmarksSection(
  'Bundle size',
  [
    `Measured ${date} with \`${command}\`.`,
    '',
    'Min+gzip, zlib level 9. The ES modules are minified with esbuild before gzip, as an app',
    'bundler would; the script-tag bundles are measured as shipped. CI fails over budget.',
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...cells.map((c) => `| ${c.join(' | ')} |`),
  ].join('\n'),
);
console.log(`\nwrote the "Bundle size" section of BENCHMARKS.md`);

const over = rows.filter((r) => !r.ok);
if (over.length > 0) {
  for (const r of over) {
    console.error(`over budget: ${r.file} is ${kb(r.gzip)} min+gzip, budget ${kb(r.budget)}`);
  }
  process.exit(1);
}
