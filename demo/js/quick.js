// The quick look: caller and callee in one page, the SDK loaded as an ES module (through the
// page's import map), their signaling relayed in the page as JSON, as a network would carry it.
import { SecureCall } from '/dist/rekey-rtc.mjs';
import { telemetry } from '/dist/telemetry.mjs';
import { localAudio } from './audio.js';
import { watchCollector } from './collector-status.js';
import { loadDemoConfig, reportIndexLink, reportLink, telemetryOption } from './config.js';
import { clearMessage, showMessage } from './messages.js';
import { SidePanel } from './panel.js';
import { renderSettings } from './settings.js';

/** One-way delay of the in-page relay: a little like a real network. */
const RELAY_DELAY_MS = 20;
const $ = (id) => document.getElementById(id);

const ui = { start: $('start'), rekey: $('rekey'), hangup: $('hangup'), speaker: $('speaker') };
const settings = renderSettings($('settings'), { audioLabel: 'Caller sends' });
let config = null;
let calls = null;
let sources = [];

const panels = {
  caller: new SidePanel($('side-caller'), {
    side: 'caller',
    title: 'Caller',
    reportLink: (id) => reportLink(config, id),
  }),
  callee: new SidePanel($('side-callee'), {
    side: 'callee',
    title: 'Callee',
    reportLink: (id) => reportLink(config, id),
  }),
};
const audio = { caller: $('audio-caller'), callee: $('audio-callee') };

function live() {
  return (
    calls !== null && Object.values(calls).some((c) => c.state !== 'closed' && c.state !== 'failed')
  );
}

function refreshButtons() {
  const isLive = live();
  ui.start.disabled = isLive;
  ui.hangup.disabled = !isLive;
  ui.rekey.disabled = !(
    calls &&
    calls.caller.state === 'connected' &&
    calls.callee.state === 'connected'
  );
  settings.setDisabled(isLive);
}

function applySpeaker() {
  for (const side of ['caller', 'callee']) audio[side].muted = ui.speaker.value !== side;
}

async function start() {
  const chosen = settings.read();
  if (!chosen) return;
  ui.start.disabled = true;
  settings.setDisabled(true);
  clearMessage('call');
  // The settings are fixed for this call: fold them away to make room for the call itself.
  document.querySelector('.settings-details').open = false;
  let callerAudio;
  let calleeAudio;
  try {
    callerAudio = await localAudio(chosen.audioSource, 440);
    calleeAudio = await localAudio('tone', 660);
  } catch (error) {
    callerAudio?.stop();
    showMessage('call', 'error', 'No audio to send', String(error?.message ?? error));
    refreshButtons();
    return;
  }
  sources = [callerAudio, calleeAudio];

  // Each side's `send` hands a JSON copy to the other side's `receive`, a little later.
  const peers = {};
  const relay = (to) => (message) => {
    const copy = JSON.parse(JSON.stringify(message));
    setTimeout(() => peers[to]?.receive(copy), RELAY_DELAY_MS);
  };
  const common = { policy: chosen.policy, rekey: chosen.rekey, statsIntervalMs: 500 };
  // One telemetry hook per call: each side reports its own records of the session.
  const hooks = {};
  try {
    hooks.caller = telemetryOption(config, telemetry);
    hooks.callee = telemetryOption(config, telemetry);
    peers.caller = new SecureCall({
      ...common,
      role: 'caller',
      send: relay('callee'),
      localStream: callerAudio.stream,
      telemetry: hooks.caller,
    });
    peers.callee = new SecureCall({
      ...common,
      role: 'callee',
      send: relay('caller'),
      localStream: calleeAudio.stream,
      telemetry: hooks.callee,
    });
  } catch (error) {
    peers.caller?.close();
    sources.forEach((s) => s.stop());
    showMessage('call', 'error', 'These settings were refused', error.message);
    refreshButtons();
    return;
  }
  calls = peers;
  window.calls = peers;
  window.call = peers.caller;
  panels.caller.setSource(callerAudio.label);
  panels.callee.setSource(calleeAudio.label);
  for (const side of ['caller', 'callee']) {
    const call = peers[side];
    // Attach each side's one remote stream once; it plays every generation.
    audio[side].srcObject = call.remoteStream;
    void audio[side].play().catch(() => undefined);
    panels[side].bind(call);
    call.on('state', refreshButtons);
    watchCollector(call, hooks[side], 'the calls are');
    call.on('close', (info) => {
      if (info.reason.startsWith('policy:')) {
        showMessage(
          'call',
          'error',
          'The policy closed the call',
          `${info.violation?.message ?? info.reason}. Change the policy in the settings to let such a call through.`,
        );
      }
      if (!live()) sources.forEach((s) => s.stop());
      refreshButtons();
    });
  }
  applySpeaker();
  refreshButtons();
  const results = await Promise.allSettled([peers.caller.start(), peers.callee.start()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed && peers.caller.state === 'failed') {
    showMessage(
      'call',
      'error',
      'The call did not connect',
      failed.reason?.message ?? String(failed.reason),
    );
  }
}

ui.start.addEventListener('click', () => void start());
ui.hangup.addEventListener('click', () => calls?.caller.close());
ui.rekey.addEventListener('click', () => {
  calls?.caller.rekey().catch((error) => {
    if (error?.code !== 'negotiation-failed')
      panels.caller.log('error', `Re-key now: ${error.message}`);
  });
});
ui.speaker.addEventListener('change', applySpeaker);
window.addEventListener('pagehide', () => calls?.caller.close());

config = await loadDemoConfig();
const index = reportIndexLink(config);
if (index) $('report-index').href = index;
if (!config)
  showMessage(
    'collector',
    'warn',
    'No collector configuration',
    'Telemetry is off: /demo-config.json did not load.',
  );
