// The start page: creates a room on the demo server and hands out its two links.
import { loadDemoConfig, reportIndexLink } from './config.js';
import { showMessage, clearMessage } from './messages.js';

const $ = (id) => document.getElementById(id);

$('create-room').addEventListener('click', async () => {
  const button = $('create-room');
  button.disabled = true;
  clearMessage('room');
  try {
    const response = await fetch('/api/rooms', { method: 'POST' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || typeof body.room !== 'string')
      throw new Error(body.error ?? `HTTP ${response.status}`);
    const link = (role) => {
      const url = new URL('/call.html', location.origin);
      url.searchParams.set('room', body.room);
      url.searchParams.set('role', role);
      return url.href;
    };
    $('room-name').textContent = body.room;
    $('open-caller').href = link('caller');
    $('callee-link').value = link('callee');
    $('room-links').hidden = false;
    button.textContent = 'Create another room';
    $('open-caller').focus();
  } catch (error) {
    showMessage(
      'room',
      'error',
      'Could not create a room',
      `The demo server did not answer (${error.message}). Is \`npm start\` still running?`,
    );
  } finally {
    button.disabled = false;
  }
});

$('copy-callee').addEventListener('click', async () => {
  const button = $('copy-callee');
  try {
    await navigator.clipboard.writeText($('callee-link').value);
    button.textContent = 'Copied';
  } catch {
    $('callee-link').select();
    button.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => (button.textContent = 'Copy'), 2000);
});

const config = await loadDemoConfig();
const index = reportIndexLink(config);
if (index) $('report-index').href = index;
