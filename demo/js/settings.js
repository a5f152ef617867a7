// The call settings form, shared by both pages: audio source, re-key schedule and policy.
// Values are read once, at Start, and passed to `new SecureCall(...)` unchanged.
import { h } from './panel.js';

const ACTIONS = [
  ['report', 'Report only'],
  ['rekey', 'Re-key once'],
  ['close', 'Close the call'],
];
const RULES = [
  ['dtls-version', 'DTLS version rule', 'close'],
  ['forward-secrecy', 'Forward secrecy rule', 'close'],
  ['srtp-profile', 'SRTP profile rule', 'report'],
];

function select(id, label, options, value) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h(
      'select',
      { id, name: id },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ),
  );
}

/**
 * Builds the form in `container`. `audioLabel` names what the audio choice applies to.
 * @returns {{ read(): { audioSource: string, rekey: object | false, policy: object } | null, setDisabled(disabled: boolean): void }}
 */
export function renderSettings(container, { audioLabel = 'Audio to send' } = {}) {
  const error = h('p', { class: 'field-error', id: 'settings-error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'settings', novalidate: true, 'aria-describedby': 'settings-error' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Audio'),
      select(
        'audio-source',
        audioLabel,
        [
          ['auto', 'Microphone (a tone if unavailable)'],
          ['tone', 'Generated tone'],
        ],
        'auto',
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Re-key schedule'),
      h(
        'div',
        { class: 'field check' },
        h('input', { type: 'checkbox', id: 'rekey-on', name: 'rekey-on', checked: true }),
        h('label', { for: 'rekey-on' }, 'Re-key on a schedule'),
      ),
      h(
        'div',
        { class: 'field-row' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'rekey-interval' }, 'Every (seconds)'),
          h('input', {
            type: 'number',
            id: 'rekey-interval',
            name: 'rekey-interval',
            min: 1,
            step: 1,
            value: 30,
            inputmode: 'numeric',
          }),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'rekey-bytes' }, 'Or after'),
          h(
            'div',
            { class: 'joined-input' },
            h('input', {
              type: 'number',
              id: 'rekey-bytes',
              name: 'rekey-bytes',
              min: 2,
              step: 1,
              value: 512,
              inputmode: 'numeric',
            }),
            h(
              'select',
              { id: 'rekey-unit', name: 'rekey-unit', 'aria-label': 'Byte limit unit' },
              h('option', { value: '1000', selected: true }, 'KB'),
              h('option', { value: '1000000' }, 'MB'),
            ),
          ),
        ),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Policy'),
      select(
        'min-dtls',
        'Minimum DTLS version',
        [
          ['1.0', 'DTLS 1.0'],
          ['1.2', 'DTLS 1.2 (default)'],
          ['1.3', 'DTLS 1.3'],
        ],
        '1.2',
      ),
      RULES.map(([rule, label, fallback]) => select(`action-${rule}`, label, ACTIONS, fallback)),
    ),
    error,
  );
  form.addEventListener('submit', (event) => event.preventDefault());
  const checkbox = form.querySelector('#rekey-on');
  const scheduleInputs = form.querySelectorAll('#rekey-interval, #rekey-bytes, #rekey-unit');
  const syncSchedule = () =>
    scheduleInputs.forEach((i) => (i.disabled = form.disabled || !checkbox.checked));
  checkbox.addEventListener('change', syncSchedule);
  container.append(form);

  return {
    read() {
      const value = (id) => form.querySelector(`#${id}`).value;
      error.hidden = true;
      let rekey = false;
      if (checkbox.checked) {
        const seconds = Number(value('rekey-interval'));
        const bytes = Number(value('rekey-bytes')) * Number(value('rekey-unit'));
        const problem =
          !Number.isFinite(seconds) || seconds < 1
            ? 'The re-key interval must be at least 1 second.'
            : !Number.isFinite(bytes) || bytes < 2000
              ? 'The byte limit must be at least 2 KB.'
              : null;
        if (problem) {
          error.textContent = problem;
          error.hidden = false;
          return null;
        }
        rekey = { intervalMs: Math.round(seconds * 1000), maxBytes: Math.round(bytes) };
      }
      const actions = {};
      for (const [rule] of RULES) actions[rule] = value(`action-${rule}`);
      return {
        audioSource: value('audio-source'),
        rekey,
        policy: { minDtlsVersion: value('min-dtls'), actions },
      };
    },
    setDisabled(disabled) {
      form.disabled = disabled;
      for (const element of form.elements) element.disabled = disabled;
      if (!disabled) syncSchedule();
    },
  };
}
