#!/usr/bin/env bash
# Installs and starts what the tests need on a Debian machine. Idempotent; run as root.
# - Debian browsers (FACTS.md: nothing may download its own browser), PulseAudio for Firefox's
#   WebAudio, Xvfb for headful Chromium, PostgreSQL for the telemetry server tests.
# - Starts PulseAudio with a null sink, then PostgreSQL through scripts/start-postgres.sh when
#   that script exists.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $EUID -ne 0 ]]; then
  echo "ci-setup: must run as root (apt-get)" >&2
  exit 1
fi

packages=(chromium firefox-esr pulseaudio pulseaudio-utils xvfb xauth postgresql)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "ci-setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "ci-setup: packages present (${packages[*]})"
fi

bash scripts/start-pulseaudio.sh

if [[ -f scripts/start-postgres.sh ]]; then
  bash scripts/start-postgres.sh
else
  echo "ci-setup: scripts/start-postgres.sh not present, skipping PostgreSQL start"
fi
