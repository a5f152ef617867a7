#!/usr/bin/env bash
# The whole test suite, as CI runs it (`npm test`). Fails fast at the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

step() {
  printf '\n\033[1m==> %s\033[0m\n' "$1"
}

step "1/7 typecheck (tsc --noEmit)"
npm run --silent typecheck

step "2/7 lint (eslint)"
npm run --silent lint

step "3/7 format (prettier --check)"
npm run --silent format:check

step "4/7 unit tests (vitest)"
npm run --silent test:unit

step "5/7 build (rollup + declarations)"
npm run --silent build

step "6/7 bundle size budget"
npm run --silent bench:size

step "7/7 browser tests (playwright: Chromium and Firefox)"
# Firefox's WebAudio needs a sound server (FACTS.md). Start one for this user if none answers;
# as root on a fresh machine, scripts/ci-setup.sh installs it first.
bash scripts/start-pulseaudio.sh
npm run --silent test:e2e

printf '\n\033[1m==> all tests passed\033[0m\n'
