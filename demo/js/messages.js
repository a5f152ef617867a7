// Page-level messages (errors, warnings, notices) in one live region, one per topic.
import { h } from './panel.js';

let region = null;

function container() {
  region ??= document.getElementById('messages');
  return region;
}

/**
 * Shows (or replaces) the message of `topic`. level: 'error' | 'warn' | 'info' | 'ok'.
 * `extra` is an optional element appended after the text (a link, a button).
 */
export function showMessage(topic, level, title, text, extra) {
  const box = container();
  const existing = box.querySelector(`[data-topic="${topic}"]`);
  const message = h(
    'div',
    { class: `message message-${level}`, 'data-topic': topic },
    h('p', { class: 'message-title' }, title),
    text ? h('p', { class: 'message-text' }, text) : null,
    extra ?? null,
  );
  if (existing) existing.replaceWith(message);
  else box.append(message);
}

export function clearMessage(topic) {
  container().querySelector(`[data-topic="${topic}"]`)?.remove();
}
