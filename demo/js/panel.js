// The per-side view of a call: live security panel, audio meter and timeline. It only reads
// what the SDK reports (events and getters), the way an app would.
import { LevelMeter } from './audio.js';
import {
  clockTime,
  closeReasonLabel,
  formatBytes,
  formatCountdown,
  formatMs,
  handoverLabel,
  rekeyReasonLabel,
  shortFingerprint,
  stateLabel,
} from './format.js';

/** `h('p', { class: 'x' }, 'text', child)`: a tiny element builder. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

const ACTION_LABELS = {
  report: 'reported only',
  rekey: 're-key once',
  close: 'close the call',
};

/** Why a browser call can miss the SRTP floor, and what gets it (FACTS.md, README). */
const SRTP_HINT =
  'No browser API chooses the SRTP profile: the DTLS server picks it. Chromium always picks AES_CM; a call with a Firefox side gets AEAD_AES_128_GCM.';

function row(label, field, extra = {}) {
  return [h('dt', {}, label), h('dd', { 'data-field': field, ...extra }, '—')];
}

export class SidePanel {
  /**
   * @param {HTMLElement} container where the panel is built
   * @param {{ side: string, title: string, reportLink: (callId: string) => string | null }} options
   */
  constructor(container, options) {
    this.options = options;
    this.call = null;
    this.unsubscribe = [];
    const id = (name) => `${options.side}-${name}`;

    this.root = h(
      'section',
      { class: 'side', 'data-side': options.side, 'aria-labelledby': id('title') },
      h(
        'header',
        { class: 'side-head' },
        h('h2', { id: id('title') }, options.title),
        h('span', { class: 'pill', 'data-field': 'state', 'data-state': 'new' }, 'Not started'),
      ),
      h(
        'div',
        { class: 'card security' },
        h(
          'div',
          { class: 'compliance', 'data-field': 'compliance', 'data-compliant': 'unknown' },
          h('p', { class: 'verdict', 'data-field': 'verdict' }, 'No handshake yet'),
          h('ul', { class: 'reasons', 'data-field': 'reasons' }),
        ),
        h(
          'dl',
          { class: 'facts' },
          row('Generation', 'generation'),
          row('DTLS version', 'dtlsVersion'),
          row('DTLS cipher', 'dtlsCipher', { class: 'mono wrap' }),
          row('SRTP profile', 'srtpProfile', { class: 'mono wrap' }),
          row('Forward secrecy', 'forwardSecrecy'),
          row('Fingerprint (local)', 'localFingerprint', { class: 'mono' }),
          row('Fingerprint (remote)', 'remoteFingerprint', { class: 'mono' }),
          row('DTLS role · path', 'path'),
          row('Bytes sent', 'bytesSent'),
          row('Bytes received', 'bytesReceived'),
        ),
        h(
          'div',
          { class: 'next-rekey' },
          h('h3', {}, 'Next re-key'),
          h(
            'div',
            { class: 'gauge' },
            h('span', { class: 'gauge-label', id: id('next-time') }, 'By time'),
            h('progress', {
              max: 1,
              value: 0,
              'aria-labelledby': id('next-time'),
              'data-field': 'timeBar',
            }),
            h('span', { class: 'gauge-value', 'data-field': 'nextTime' }, '—'),
          ),
          h(
            'div',
            { class: 'gauge' },
            h('span', { class: 'gauge-label', id: id('next-bytes') }, 'By bytes'),
            h('progress', {
              max: 1,
              value: 0,
              'aria-labelledby': id('next-bytes'),
              'data-field': 'bytesBar',
            }),
            h('span', { class: 'gauge-value', 'data-field': 'nextBytes' }, '—'),
          ),
        ),
        h('p', { class: 'policy-line', 'data-field': 'policy' }),
      ),
      h(
        'div',
        { class: 'card audio' },
        h('h3', {}, 'Received audio'),
        h('p', { class: 'source', 'data-field': 'source' }, 'Sending: —'),
        h('canvas', { class: 'meter', 'aria-hidden': 'true', 'data-field': 'meter' }),
        h(
          'p',
          { class: 'meter-text' },
          'Level ',
          h('strong', { 'data-field': 'level' }, '—'),
          ' · Longest silence while connected ',
          h('strong', { 'data-field': 'gap' }, '—'),
        ),
      ),
      h(
        'div',
        { class: 'card timeline-card' },
        h(
          'div',
          { class: 'timeline-head' },
          h('h3', {}, 'Timeline'),
          h(
            'a',
            {
              class: 'report-link',
              'data-field': 'report',
              hidden: true,
              target: '_blank',
              rel: 'noopener',
            },
            'Audit report',
          ),
        ),
        h('ol', {
          class: 'timeline',
          role: 'log',
          'aria-label': `${options.title} timeline`,
          'data-field': 'timeline',
        }),
      ),
    );
    container.append(this.root);
    this.meter = new LevelMeter(this.field('meter'), {
      level: this.field('level'),
      gap: this.field('gap'),
    });
  }

  field(name) {
    return this.root.querySelector(`[data-field="${name}"]`);
  }

  set(name, text) {
    const element = this.field(name);
    if (element.textContent !== text) element.textContent = text;
    return element;
  }

  setSource(label) {
    this.set('source', `Sending: ${label}`);
  }

  /** Adds a timeline entry; kind is rekey | violation | failure | info | error. */
  log(kind, text, detail) {
    const item = h(
      'li',
      { class: `event event-${kind}` },
      h('time', {}, clockTime()),
      h('span', { class: 'event-text' }, text),
      detail ? h('span', { class: 'event-detail mono' }, detail) : null,
    );
    const list = this.field('timeline');
    list.prepend(item);
    while (list.children.length > 200) list.lastElementChild.remove();
  }

  /** Follows `call` until it closes or `unbind()`. */
  bind(call) {
    this.unbind();
    this.call = call;
    this.field('timeline').replaceChildren();
    this.renderPolicy(call.policy, call.rekeyOptions);
    this.renderState(call.state);
    this.meter.attach(call.remoteStream);
    const on = (event, listener) => {
      call.on(event, listener);
      this.unsubscribe.push(() => call.off(event, listener));
    };
    on('state', (state) => {
      this.renderState(state);
      if (state === 'connected') this.meter.startMeasuring();
    });
    on('stats', (snapshot) => this.renderSnapshot(snapshot));
    on('security', (snapshot) => this.renderSnapshot(snapshot));
    on('rekeystart', ({ generation, reason }) =>
      this.log('info', `Re-key to generation ${generation} started (${rekeyReasonLabel(reason)})`),
    );
    on('rekey', (report) => {
      this.meter.mark();
      this.log(
        'rekey',
        `Re-keyed to generation ${report.generation} (${rekeyReasonLabel(report.reason)}): handshake ${formatMs(report.handshakeMs)}, overlap ${formatMs(report.overlapMs)}; ${handoverLabel(report.handover)}`,
        `${shortFingerprint(report.previousFingerprint)} → ${shortFingerprint(report.fingerprint)}`,
      );
    });
    on('rekeyfailed', (failure) =>
      this.log(
        'failure',
        `Re-key to generation ${failure.generation} failed (${failure.code}): ${failure.message}. The current connection keeps the call${failure.retryInMs === null ? '' : `; retry in ${formatMs(failure.retryInMs)}`}.`,
      ),
    );
    on('violation', (violation) =>
      this.log(
        'violation',
        `Policy violation in generation ${violation.generation}: ${violation.message}. Action: ${ACTION_LABELS[violation.action] ?? violation.action}.`,
      ),
    );
    on('error', (error) => this.log('error', `${error.code ?? 'error'}: ${error.message}`));
    on('close', (info) => {
      this.log(
        info.reason.startsWith('policy:') ? 'violation' : 'info',
        `Call ended: ${closeReasonLabel(info.reason)}`,
      );
      this.meter.stopMeasuring();
      this.stopTicker();
    });
    this.ticker = setInterval(() => this.renderCountdown(), 250);
  }

  unbind() {
    for (const off of this.unsubscribe.splice(0)) off();
    this.stopTicker();
    this.meter.detach();
    this.call = null;
  }

  stopTicker() {
    clearInterval(this.ticker);
    this.ticker = null;
    this.renderCountdown();
  }

  renderState(state) {
    const pill = this.set('state', stateLabel(state));
    pill.dataset.state = state;
    this.renderReportLink();
  }

  renderReportLink() {
    const link = this.field('report');
    const callId = this.call?.callId;
    const href = callId ? this.options.reportLink(callId) : null;
    if (href) {
      link.href = href;
      link.hidden = false;
      link.dataset.callId = callId;
    }
  }

  renderPolicy(policy, rekey) {
    const a = policy.actions;
    const schedule = rekey.scheduled
      ? `re-key every ${formatCountdown(rekey.intervalMs)} or ${formatBytes(rekey.maxBytes)}`
      : 'scheduled re-keys off';
    this.set(
      'policy',
      `Policy: DTLS ≥ ${policy.minDtlsVersion} (${a['dtls-version']}), forward secrecy ${policy.requireForwardSecrecy ? `required (${a['forward-secrecy']})` : 'not required'}, SRTP ≥ ${policy.minSrtpProfile} (${a['srtp-profile']}); ${schedule}.`,
    );
  }

  renderSnapshot(s) {
    this.set('generation', String(s.generation));
    const legacy = s.advisories.some((a) => a.code === 'dtls-legacy-fallback');
    this.set(
      'dtlsVersion',
      s.dtlsVersion ? `DTLS ${s.dtlsVersion}${legacy ? ' (legacy fallback)' : ''}` : 'unknown',
    );
    this.set('dtlsCipher', s.dtlsCipher ?? 'unknown');
    this.set('srtpProfile', s.srtpProfile ?? 'unknown');
    this.set('forwardSecrecy', s.forwardSecrecy ? 'Yes' : 'No');
    this.set('localFingerprint', shortFingerprint(s.localFingerprint)).title =
      s.localFingerprint ?? '';
    this.set('remoteFingerprint', shortFingerprint(s.remoteFingerprint)).title =
      s.remoteFingerprint ?? '';
    this.set('path', `${s.dtlsRole ?? '—'} · ${s.candidateType ?? '—'}`);
    this.set('bytesSent', formatBytes(s.bytesSent));
    this.set('bytesReceived', formatBytes(s.bytesReceived));

    const box = this.field('compliance');
    box.dataset.compliant = String(s.compliant);
    this.set(
      'verdict',
      s.compliant ? (legacy ? 'Compliant, with an advisory' : 'Compliant') : 'Not compliant',
    );
    const reasons = [
      ...s.violations.map((v) =>
        h(
          'li',
          { class: 'reason-violation' },
          `${v.message} (${ACTION_LABELS[v.action] ?? v.action})`,
        ),
      ),
      ...s.advisories.map((a) => h('li', { class: 'reason-advisory' }, a.message)),
    ];
    if (s.violations.some((v) => v.rule === 'srtp-profile')) {
      reasons.push(h('li', { class: 'reason-hint' }, SRTP_HINT));
    }
    if (reasons.length === 0)
      reasons.push(h('li', { class: 'reason-ok' }, 'Every policy rule is met.'));
    const list = this.field('reasons');
    const text = reasons.map((r) => r.textContent).join('\n');
    if (list.dataset.text !== text) {
      list.dataset.text = text;
      list.replaceChildren(...reasons);
    }
    this.renderReportLink();
  }

  renderCountdown() {
    const call = this.call;
    const live = call && (call.state === 'connected' || call.state === 'rekeying');
    const next = live ? call.nextRekey : { inMs: null, bytesLeft: null };
    const options = call?.rekeyOptions;
    this.set(
      'nextTime',
      next.inMs === null
        ? call?.state === 'rekeying'
          ? 'now'
          : '—'
        : `in ${formatCountdown(next.inMs)}`,
    );
    this.set('nextBytes', next.bytesLeft === null ? '—' : `${formatBytes(next.bytesLeft)} left`);
    this.field('timeBar').value =
      next.inMs === null || !options ? 0 : 1 - next.inMs / options.intervalMs;
    this.field('bytesBar').value =
      next.bytesLeft === null || !options ? 0 : 1 - next.bytesLeft / options.maxBytes;
  }
}
