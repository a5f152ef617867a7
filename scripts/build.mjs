#!/usr/bin/env node
// Builds dist/: the two rollup bundles, then the type declarations (dist/types/).
// Usage: npm run build
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function run(step, command, args) {
  console.log(`\n> ${step}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${step} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

// A stale file from an earlier build (a renamed module's .d.ts) must not ship.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
run('bundles', bin('rollup'), ['--config', 'rollup.config.mjs']);
run('declarations', bin('tsc'), ['-p', 'tsconfig.build.json', '--emitDeclarationOnly']);
console.log('\nbuild: ok');
