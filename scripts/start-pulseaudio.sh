#!/usr/bin/env bash
# Starts a PulseAudio daemon with a null sink unless one is already answering.
# Headless Firefox closes the page on AudioContext.resume() without a sound server (FACTS.md);
# the null sink's monitor (`parec -d null.monitor`) is also where tests can hear what was played.
set -euo pipefail

if pactl info >/dev/null 2>&1; then
  echo "pulseaudio: already running"
  exit 0
fi
if ! command -v pulseaudio >/dev/null 2>&1; then
  echo "pulseaudio: not installed (run scripts/ci-setup.sh as root)" >&2
  exit 1
fi
# As root it warns that system mode is recommended, and runs anyway.
pulseaudio -D --exit-idle-time=-1 -n \
  --load="module-null-sink sink_name=null" \
  --load="module-native-protocol-unix"
for _ in $(seq 1 50); do
  if pactl info >/dev/null 2>&1; then
    echo "pulseaudio: started with a null sink"
    exit 0
  fi
  sleep 0.1
done
echo "pulseaudio: started but not answering 'pactl info'" >&2
exit 1
