#!/usr/bin/env bash
# The whole test suite, as CI runs it (`npm test`). Fails fast at the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

step() {
  printf '\n\033[1m==> %s\033[0m\n' "$1"
}

step "0/7 machine setup (browsers, sound server, PostgreSQL)"
# Idempotent: installs what is missing (as root, from Debian) and starts the services the tests
# need, so `npm test` works on a fresh machine. Without root it only checks and says what lacks.
if [[ $EUID -eq 0 ]]; then
  bash scripts/ci-setup.sh
else
  for tool in /usr/bin/chromium /usr/bin/firefox-esr pulseaudio parec xvfb-run pg_ctlcluster; do
    command -v "$tool" >/dev/null || {
      echo "missing $tool: run 'sudo bash scripts/ci-setup.sh' once" >&2
      exit 1
    }
  done
fi

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

step "6/7 bundle size budget, API reference (typedoc, warnings are errors)"
npm run --silent bench:size
npm run --silent docs

step "7/7 browser tests (playwright: Chromium and Firefox)"
# Firefox's WebAudio needs a sound server (FACTS.md). Start one for this user if none answers;
# as root on a fresh machine, scripts/ci-setup.sh installs it first.
bash scripts/start-pulseaudio.sh
npm run --silent test:e2e

printf '\n\033[1m==> all tests passed\033[0m\n'
