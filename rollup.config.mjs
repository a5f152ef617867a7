// Two bundles from one entry (see issue 2):
// - dist/rekey-rtc.mjs: ES module for npm users and their bundlers. Runtime dependencies stay
//   external so an app that already ships webrtc-adapter or eventemitter3 does not get two copies.
// - dist/rekey-rtc.umd.min.js: one minified file for a plain <script> tag. Everything is bundled,
//   webrtc-adapter included, and the exports hang off the global `RekeyRTC`.
import { readFileSync } from 'node:fs';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const input = 'src/index.ts';
const banner = `/*! rekey-rtc v${pkg.version} | ${pkg.license} */`;
// Runtime dependencies, and any of their subpaths (e.g. `webrtc-adapter/dist/...`).
const runtimeDependencies = Object.keys(pkg.dependencies ?? {});
const isRuntimeDependency = (id) =>
  runtimeDependencies.some((name) => id === name || id.startsWith(`${name}/`));

/** @param {{ target: string }} options */
const typescript = ({ target }) =>
  esbuild({
    target,
    tsconfig: 'tsconfig.json',
    sourceMap: true,
    // Replaced at build time so the SDK can report its version without importing package.json.
    define: { __REKEY_VERSION__: JSON.stringify(pkg.version) },
  });

/**
 * The same pair for each entry: the core SDK, and the compliance-telemetry add-on, which is
 * its own file so calls without telemetry do not ship it (the core script-tag bundle has a
 * 25 KB budget with webrtc-adapter inside; see BENCHMARKS.md).
 */
const entries = [
  { input, esm: 'dist/rekey-rtc.mjs', umd: 'dist/rekey-rtc.umd.min.js', name: 'RekeyRTC' },
  {
    input: 'src/telemetry/index.ts',
    esm: 'dist/telemetry.mjs',
    umd: 'dist/rekey-rtc-telemetry.umd.min.js',
    name: 'RekeyRTCTelemetry',
  },
];

/**
 * The playout AudioWorklet module: loaded by the SDK at run time from beside its own file
 * (src/browserPlatform.ts), one small script with no imports, as a worklet must be.
 */
const worklet = {
  input: 'src/media/playoutWorklet.ts',
  plugins: [
    typescript({ target: 'es2022' }),
    terser({ format: { comments: /^!/ }, compress: { passes: 2 } }),
  ],
  output: { file: 'dist/rekey-rtc-playout.worklet.js', format: 'iife', sourcemap: true, banner },
};

/** @type {import('rollup').RollupOptions[]} */
export default [
  worklet,
  ...entries.flatMap((entry) => [
    {
      input: entry.input,
      external: isRuntimeDependency,
      plugins: [typescript({ target: 'es2022' })],
      output: { file: entry.esm, format: 'es', sourcemap: true, banner },
    },
    {
      input: entry.input,
      plugins: [
        // `browser: true` picks the browser builds of dependencies; sdp (used by webrtc-adapter)
        // is CommonJS, hence the commonjs plugin.
        nodeResolve({ browser: true }),
        commonjs(),
        typescript({ target: 'es2022' }),
        terser({ format: { comments: /^!/ }, compress: { passes: 2 } }),
      ],
      output: {
        file: entry.umd,
        format: 'umd',
        name: entry.name,
        exports: 'named',
        sourcemap: true,
        banner,
      },
    },
  ]),
];
