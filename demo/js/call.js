// The two-tab demo: one side of a call per page, signaling through the demo relay, the SDK
// loaded by a plain <script> tag (window.RekeyRTC), exactly as a script-tag integrator would.
import { localAudio } from './audio.js';
import { watchCollector } from './collector-status.js';
import { loadDemoConfig, reportIndexLink, reportLink, telemetryOption } from './config.js';
import { clearMessage, showMessage } from './messages.js';
import { h, SidePanel } from './panel.js';
import { renderSettings } from './settings.js';
import { SignalingClient } from './signaling.js';

const ROOM_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;
const PENDING_LIMIT = 64;
const $ = (id) => document.getElementById(id);

const params = new URLSearchParams(location.search);
const room = params.get('room') ?? '';
let role = params.get('role') === 'caller' ? 'caller' : 'callee';

const ui = {
  start: $('start'),
  rekey: $('rekey'),
  hangup: $('hangup'),
  mute: $('mute'),
  audio: $('remote-audio'),
  signalStatus: $('signal-status'),
  peerStatus: $('peer-status'),
  share: $('share-link'),
  copy: $('copy-link'),
  roles: document.querySelectorAll('input[name="role"]'),
};

let config = null;
let signaling = null;
let call = null;
let sending = null; // { stop } of the local audio
let peerPresent = false;
let pending = [];

const settings = renderSettings($('settings'));
let panel = null;

function isLive(c = call) {
  return c !== null && c.state !== 'closed' && c.state !== 'failed';
}

function refreshButtons() {
  const live = isLive();
  const joined = signaling?.joined === true;
  ui.start.disabled = live || !joined;
  ui.hangup.disabled = !live;
  // A re-key needs the signaling channel: offers and answers travel through it.
  ui.rekey.disabled = !(call && call.state === 'connected' && joined);
  ui.mute.disabled = !live;
  settings.setDisabled(live);
  for (const radio of ui.roles) radio.disabled = live;
}

function setSignalStatus(state, text) {
  ui.signalStatus.dataset.state = state;
  ui.signalStatus.textContent = text;
}

function setPeer(present) {
  peerPresent = present;
  ui.peerStatus.textContent = present
    ? `The ${role === 'caller' ? 'callee' : 'caller'} is in the room.`
    : `The ${role === 'caller' ? 'callee' : 'caller'} has not joined yet. Send them the link below.`;
}

function newRoomLink() {
  return h('a', { href: '/' }, 'Create a new room');
}

const FATAL = {
  'unknown-room': () => [
    'Unknown room',
    `Room ${room} does not exist on this server: the link may be mistyped, or the room expired. Create a new room and share its link.`,
    newRoomLink(),
  ],
  'role-taken': () => [
    `This room already has a ${role}`,
    `Another tab or browser already joined room ${room} as the ${role}. Close that tab, or join as the ${role === 'caller' ? 'callee' : 'caller'} above.`,
  ],
  'room-full': () => [
    'This room is full',
    'It already has a caller and a callee. Create a new room for another call.',
    newRoomLink(),
  ],
};

function joinRoom() {
  signaling?.close();
  clearMessage('signaling');
  setSignalStatus('connecting', 'Connecting…');
  const client = new SignalingClient(room, role);
  signaling = client;
  client.addEventListener('status', ({ detail }) => {
    if (client !== signaling) return;
    if (detail.state === 'open') {
      setSignalStatus('open', 'In the room');
      if (document.querySelector('[data-topic="signaling"].message-warn')) {
        showMessage(
          'signaling',
          'ok',
          'Back in the room',
          'The signaling server answered again (it may have restarted) and this page rejoined the room. Re-keys can go on.',
        );
        setTimeout(() => clearMessage('signaling'), 8000);
      }
    } else if (detail.state === 'reconnecting' && detail.delayMs !== undefined) {
      setSignalStatus('reconnecting', 'Reconnecting…');
      ui.peerStatus.textContent = 'Waiting for the signaling server to answer again…';
      const live = isLive()
        ? ' The call itself keeps running peer to peer; re-keys wait until signaling is back.'
        : '';
      showMessage(
        'signaling',
        'warn',
        'Lost the signaling server',
        `Trying again in ${Math.ceil(detail.delayMs / 1000)} s (attempt ${detail.attempt}). If the server restarted, this page rejoins room ${room} by itself.${live}`,
      );
    }
    refreshButtons();
  });
  client.addEventListener('joined', ({ detail }) => {
    setPeer(detail.peerPresent);
    refreshButtons();
  });
  client.addEventListener('peer', ({ detail }) => {
    setPeer(detail.present);
    if (!detail.present) {
      pending = [];
      if (isLive()) panel.log('info', 'The other side left the room.');
    } else if (call) {
      panel.log('info', 'The other side joined the room.');
    }
  });
  client.addEventListener('signal', ({ detail }) => {
    if (isLive()) call.receive(detail);
    else if (pending.length < PENDING_LIMIT) pending.push(detail);
  });
  client.addEventListener('fatal', ({ detail }) => {
    const [title, text, extra] = (
      FATAL[detail.code] ?? (() => ['Signaling error', detail.message])
    )();
    setSignalStatus('error', 'Not in the room');
    showMessage('signaling', 'error', title, text, extra);
    refreshButtons();
  });
  client.connect();
}

async function startCall() {
  const chosen = settings.read();
  if (!chosen) return;
  const { SecureCall } = window.RekeyRTC;
  const { telemetry } = window.RekeyRTCTelemetry;
  ui.start.disabled = true;
  settings.setDisabled(true);
  clearMessage('call');
  // The settings are fixed for this call: fold them away to make room for the call itself.
  document.querySelector('.settings-details').open = false;

  let audio;
  try {
    audio = await localAudio(chosen.audioSource, role === 'caller' ? 440 : 660);
  } catch (error) {
    showMessage('call', 'error', 'No audio to send', String(error?.message ?? error));
    refreshButtons();
    return;
  }
  panel.setSource(audio.label);

  let next;
  let hook = false;
  try {
    hook = telemetryOption(config, telemetry);
    next = new SecureCall({
      role,
      send: (message) => signaling.send(message),
      localStream: audio.stream,
      policy: chosen.policy,
      rekey: chosen.rekey,
      telemetry: hook,
      statsIntervalMs: 500,
      // People press Start at their own pace.
      connectTimeoutMs: 300_000,
    });
  } catch (error) {
    audio.stop();
    showMessage('call', 'error', 'These settings were refused', error.message);
    refreshButtons();
    return;
  }
  call = next;
  sending = audio;
  window.call = next;
  // One MediaStream for the whole call, every generation included: attach it once.
  ui.audio.srcObject = next.remoteStream;
  void ui.audio.play().catch(() => undefined);
  panel.bind(next);
  panel.log('info', `Call started as the ${role}. Sending: ${audio.label}.`);

  next.on('state', (state) => {
    refreshButtons();
    if (state === 'connected') clearMessage('call');
  });
  next.on('close', (info) => {
    sending?.stop();
    sending = null;
    if (info.reason.startsWith('policy:')) {
      showMessage(
        'call',
        'error',
        'The policy closed the call',
        `${info.violation?.message ?? info.reason}. Change the policy in the settings to let such a call through.`,
      );
    }
    refreshButtons();
  });
  watchCollector(next, hook);

  for (const message of pending.splice(0)) next.receive(message);
  refreshButtons();
  const waiting = setTimeout(() => {
    if (next.state === 'connecting') {
      showMessage(
        'call',
        'info',
        'Waiting for the other side',
        peerPresent
          ? 'Ask them to press “Start call” on their page.'
          : 'They have not joined the room yet: send them the link under “Link for the other side”.',
      );
    }
  }, 1500);
  try {
    await next.start();
  } catch (error) {
    if (next.state === 'failed')
      showMessage('call', 'error', 'The call did not connect', error.message);
  } finally {
    clearTimeout(waiting);
  }
}

async function main() {
  if (!window.RekeyRTC?.SecureCall || !window.RekeyRTCTelemetry?.telemetry) {
    showMessage(
      'page',
      'error',
      'The SDK did not load',
      'Run `npm run build` and reload this page.',
    );
    return;
  }
  if (!ROOM_PATTERN.test(room)) {
    $('room-id').textContent = '—';
    setSignalStatus('error', 'No room');
    showMessage(
      'signaling',
      'error',
      room ? 'This room link is not valid' : 'This link has no room',
      'Room links look like /call.html?room=… Create a room on the start page and share its link.',
      newRoomLink(),
    );
    settings.setDisabled(true);
    return;
  }
  $('room-id').textContent = room;
  const share = new URL('/call.html', location.origin);
  share.searchParams.set('room', room);
  share.searchParams.set('role', role === 'caller' ? 'callee' : 'caller');
  ui.share.value = share.href;
  for (const radio of ui.roles) radio.checked = radio.value === role;
  panel = new SidePanel($('side'), {
    side: role,
    title: `You, the ${role}`,
    reportLink: (callId) => reportLink(config, callId),
  });

  config = await loadDemoConfig();
  const index = reportIndexLink(config);
  if (index) $('report-index').href = index;
  if (!config) {
    showMessage(
      'collector',
      'warn',
      'No collector configuration',
      'Telemetry is off for this page: /demo-config.json did not load.',
    );
  }

  for (const radio of ui.roles) {
    radio.addEventListener('change', () => {
      if (!radio.checked || isLive()) return;
      role = radio.value;
      const url = new URL(location.href);
      url.searchParams.set('role', role);
      history.replaceState(null, '', url);
      share.searchParams.set('role', role === 'caller' ? 'callee' : 'caller');
      ui.share.value = share.href;
      panel.unbind();
      panel.root.remove();
      panel = new SidePanel($('side'), {
        side: role,
        title: `You, the ${role}`,
        reportLink: (callId) => reportLink(config, callId),
      });
      joinRoom();
    });
  }
  ui.copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(ui.share.value);
      ui.copy.textContent = 'Copied';
    } catch {
      ui.share.select();
      ui.copy.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => (ui.copy.textContent = 'Copy'), 2000);
  });
  ui.start.addEventListener('click', () => void startCall());
  ui.hangup.addEventListener('click', () => call?.close());
  ui.rekey.addEventListener('click', () => {
    call?.rekey().catch((error) => {
      if (error?.code !== 'negotiation-failed') panel.log('error', `Re-key now: ${error.message}`);
    });
  });
  ui.mute.addEventListener('click', () => {
    ui.audio.muted = !ui.audio.muted;
    ui.mute.setAttribute('aria-pressed', String(ui.audio.muted));
    ui.mute.textContent = ui.audio.muted ? 'Unmute speaker' : 'Mute speaker';
  });
  // Leaving the page hangs up, so the other side hears "bye" instead of waiting for a timeout.
  window.addEventListener('pagehide', () => call?.close());
  joinRoom();
  refreshButtons();
}

void main();
