/**
 * The HTML audit report: a sessions table (non-compliant first) and a per-session timeline of
 * handshakes and re-keys with fingerprints. Plain server-rendered HTML with one inline stylesheet
 * allowed by its hash in the Content-Security-Policy; no script at all.
 */
import { createHash } from 'node:crypto';
import type { SessionFilter } from './filters.js';
import { html, SafeHtml } from './html.js';
import type { SessionSummary, StoredRecord } from './store.js';

const CSS = `
:root { color-scheme: light; --fg: #1c2330; --muted: #566070; --line: #d9dee7; --bg: #f6f7f9;
  --bad: #a4161a; --bad-bg: #fde8e8; --ok: #1b6e3a; --ok-bg: #e3f4e8; --link: #1f4fbf; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header.top { background: #1c2330; color: #fff; padding: 14px 28px; }
header.top h1 { margin: 0; font-size: 19px; font-weight: 600; }
header.top p { margin: 2px 0 0; color: #c5ccd8; font-size: 13px; }
main { padding: 20px 28px 40px; max-width: 1500px; }
a { color: var(--link); }
a:focus-visible, input:focus-visible, select:focus-visible, button:focus-visible {
  outline: 3px solid #f0b429; outline-offset: 1px; }
form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; background: #fff;
  border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 16px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
form.filters input, form.filters select { font: inherit; padding: 5px 7px; border: 1px solid #b8c0cc;
  border-radius: 5px; background: #fff; color: var(--fg); }
button { font: inherit; padding: 6px 14px; border-radius: 5px; border: 1px solid #1f4fbf;
  background: #1f4fbf; color: #fff; cursor: pointer; }
.stats { display: flex; gap: 12px; margin: 0 0 16px; flex-wrap: wrap; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.stat b { display: block; font-size: 22px; }
.stat span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; padding: 10px 12px; font-weight: 600; }
th, td { padding: 7px 10px; border-top: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #eef1f5; font-size: 12px; text-transform: uppercase; letter-spacing: .03em;
  color: #39424f; white-space: nowrap; }
tbody tr:hover { background: #f9fafc; }
tr.noncompliant td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
time.ts { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.nowrap { white-space: nowrap; }
.fpline { display: block; }
.small { display: block; font-size: 11.5px; color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.kind { color: #2a3a5c; background: #e6ecf7; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.fp { word-break: break-all; }
.muted { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; background: #fff;
  border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 0 0 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
dl.detail { display: grid; grid-template-columns: max-content 1fr; gap: 1px 12px; margin: 0; }
dl.detail dt { color: var(--muted); font-size: 13px; }
dl.detail dd { margin: 0; }
nav.pager { margin-top: 12px; display: flex; gap: 16px; }
p.empty { padding: 16px; margin: 0; color: var(--muted); }
`;

// Built outside the html`` templates: the CSP hash covers the exact text between the tags, so no
// formatter may touch it.
const STYLE = new SafeHtml(`<style>${CSS}</style>`);

/** CSP for every report page: nothing loads or runs except this exact stylesheet. */
export const REPORT_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Times are UTC (captions say so); tables show seconds, the title attribute keeps the ms. */
const iso = (ms: number | null | undefined): string =>
  ms === null || ms === undefined
    ? ''
    : new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const when = (ms: number | null | undefined) =>
  html`<time class="ts" title="${iso(ms)} UTC">${iso(ms).slice(0, 19)}</time>`;

/** Link back into the report, carrying the `?key=` the page was opened with (if any). */
function link(
  path: string,
  key: string | null,
  params: Record<string, string | number | undefined> = {},
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  if (key) q.set('key', key);
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
        ${STYLE}
      </head>
      <body>
        <header class="top">
          <h1>rekey-rtc compliance report</h1>
          <p>DTLS-SRTP security evidence per call, from telemetry schema rekey-rtc.telemetry/1</p>
        </header>
        <main id="main">${body}</main>
      </body>
    </html>`.value;
}

const status = (s: { compliant: boolean }) =>
  s.compliant
    ? html`<span class="badge ok">Compliant</span>`
    : html`<span class="badge bad">Non-compliant</span>`;

const browsers = (s: SessionSummary) =>
  s.browsers.length === 0
    ? html`<span class="muted">unknown</span>`
    : s.browsers.map(
        (b, i) =>
          html`${i > 0 ? html`<br />` : ''}${b.role}:
          ${b.name}${b.version === null ? '' : ` ${b.version}`}`,
      );

const orDash = (v: unknown) =>
  v === null || v === undefined || v === '' ? html`<span class="muted">–</span>` : v;

export interface SessionsPageInput {
  sessions: SessionSummary[];
  nextCursor: string | null;
  filter: SessionFilter;
  query: Record<string, string | undefined>;
  key: string | null;
  generatedAt: number;
}

export function renderSessionsPage(input: SessionsPageInput): string {
  const { sessions, nextCursor, query, key } = input;
  const filterParams = {
    from: query.from,
    to: query.to,
    compliant: query.compliant,
    dtlsVersion: query.dtlsVersion,
    srtpProfile: query.srtpProfile,
  };
  const nonCompliant = sessions.filter((s) => !s.compliant).length;
  const option = (name: string, value: string, label: string) =>
    html`<option value="${value}" ${query[name] === value ? html` selected` : ''}>
      ${label}
    </option>`;
  const body = html`
    <form class="filters" method="get" action="/report" aria-label="Filter sessions">
      <label
        >From<input name="from" value="${query.from ?? ''}" placeholder="2026-11-01 or ms"
      /></label>
      <label>To<input name="to" value="${query.to ?? ''}" placeholder="2026-11-30 or ms" /></label>
      <label
        >Compliance<select name="compliant">
          ${option('compliant', '', 'All')}${option('compliant', 'false', 'Non-compliant')}${option('compliant', 'true', 'Compliant')}
        </select></label
      >
      <label
        >DTLS version<select name="dtlsVersion">
          ${option('dtlsVersion', '', 'Any')}${['1.3', '1.2', '1.0'].map((v) => option('dtlsVersion', v, v))}
        </select></label
      >
      <label
        >SRTP profile<select name="srtpProfile">
          ${option('srtpProfile', '', 'Any')}${['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'].map((v) => option('srtpProfile', v, v))}
        </select></label
      >
      ${key ? html`<input type="hidden" name="key" value="${key}" />` : ''}
      <button type="submit">Apply</button>
      <a href="${link('/v1/export.csv', key, filterParams)}">Export CSV</a>
      <a href="${link('/v1/export.json', key, filterParams)}">Export JSON</a>
    </form>
    <div class="stats">
      <div class="stat"><b>${sessions.length}</b><span>Sessions on this page</span></div>
      <div class="stat"><b>${nonCompliant}</b><span>Non-compliant</span></div>
      <div class="stat">
        <b>${sessions.reduce((n, s) => n + s.rekeyCount, 0)}</b><span>Re-keys</span>
      </div>
      <div class="stat">
        <b>${sessions.reduce((n, s) => n + s.droppedCount, 0)}</b
        ><span>Records dropped by SDK</span>
      </div>
    </div>
    <div class="table-wrap">
      <table>
        <caption>
          Sessions, non-compliant first, then newest first. Times in UTC. Generated
          ${iso(input.generatedAt).slice(0, 19)} UTC.
        </caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Session</th>
            <th scope="col">First / last record</th>
            <th scope="col">Browsers</th>
            <th scope="col">DTLS / cipher</th>
            <th scope="col">SRTP profile</th>
            <th scope="col">Re-keys (failed)</th>
            <th scope="col">Violations</th>
            <th scope="col">Dropped</th>
            <th scope="col">Ended</th>
          </tr>
        </thead>
        <tbody>
          ${sessions.map(
            (s) =>
              html`<tr class="${s.compliant ? 'compliant' : 'noncompliant'}">
                <td>${status(s)}</td>
                <td>
                  <a
                    class="mono"
                    href="${link(`/report/sessions/${encodeURIComponent(s.id)}`, key)}"
                    >${s.id}</a
                  >
                </td>
                <td>${when(s.firstTime)}<span class="small">${when(s.lastTime)}</span></td>
                <td class="nowrap">${browsers(s)}</td>
                <td>
                  ${orDash(s.dtlsVersion)}<span class="mono small">${s.dtlsCipher ?? ''}</span>
                </td>
                <td class="mono">${orDash(s.srtpProfile)}</td>
                <td class="num">${s.rekeyCount} (${s.rekeyFailedCount})</td>
                <td class="num">${s.violationCount}</td>
                <td class="num">${s.droppedCount}</td>
                <td>${s.endedReason ?? html`<span class="muted">open</span>`}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${sessions.length === 0 ? html`<p class="empty">No sessions match these filters.</p>` : ''}
    </div>
    ${nextCursor ? html`<nav class="pager" aria-label="Pages"><a href="${link('/report', key, { ...filterParams, limit: query.limit, cursor: nextCursor })}">Next page →</a></nav>` : ''}
  `;
  return page('Sessions · rekey-rtc compliance report', body);
}

const fp = (v: unknown) => (typeof v === 'string' ? html`<code class="fp">${v}</code>` : orDash(v));
const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : orDash(v));

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});

function detailList(pairs: [string, unknown][]): SafeHtml {
  return html`<dl class="detail">
    ${pairs.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v}</dd>`,
    )}
  </dl>`;
}

function snapshotPairs(s: Obj): [string, unknown][] {
  const violations = Array.isArray(s.violations) ? (s.violations as Obj[]) : [];
  return [
    ['DTLS', html`${orDash(s.dtlsVersion)} <span class="mono">${s.dtlsCipher ?? ''}</span>`],
    ['SRTP profile', html`<span class="mono">${orDash(s.srtpProfile)}</span>`],
    ['Forward secrecy', yesNo(s.forwardSecrecy)],
    ['DTLS role', orDash(s.dtlsRole)],
    ['Local fingerprint', html`${s.fingerprintAlgorithm ?? ''} ${fp(s.localFingerprint)}`],
    ['Remote fingerprint', html`${s.fingerprintAlgorithm ?? ''} ${fp(s.remoteFingerprint)}`],
    ['Candidate types', html`${orDash(s.candidateType)} → ${orDash(s.remoteCandidateType)}`],
    ['Compliant', s.compliant === false ? html`<span class="badge bad">no</span>` : 'yes'],
    ...violations.map((v): [string, unknown] => [
      'Violation',
      html`${v.rule} (${v.action}): ${v.message}`,
    ]),
  ];
}

function recordDetails(kind: unknown, data: Obj): SafeHtml {
  switch (kind) {
    case 'session-start': {
      const rekey = data.rekey === null ? null : obj(data.rekey);
      return detailList([
        [
          'Re-key schedule',
          rekey
            ? `intervalMs ${String(rekey.intervalMs)}, maxBytes ${String(rekey.maxBytes)}`
            : 'none',
        ],
      ]);
    }
    case 'handshake':
    case 'snapshot':
      return detailList(snapshotPairs(obj(data.snapshot)));
    case 'rekey': {
      const s = obj(data.snapshot);
      return detailList([
        ['Reason', data.reason],
        ['Handshake', `${String(data.handshakeMs)} ms`],
        ['Overlap', `${String(data.overlapMs)} ms`],
        [
          'Local fingerprint',
          html`<span class="fpline">before ${fp(data.previousFingerprint)}</span
            ><span class="fpline">after ${fp(data.fingerprint)}</span>`,
        ],
        [
          'Remote fingerprint',
          html`<span class="fpline">before ${fp(data.previousRemoteFingerprint)}</span
            ><span class="fpline">after ${fp(data.remoteFingerprint)}</span>`,
        ],
        ['DTLS', html`${orDash(s.dtlsVersion)} <span class="mono">${s.dtlsCipher ?? ''}</span>`],
        ['SRTP profile', html`<span class="mono">${orDash(s.srtpProfile)}</span>`],
        ['Compliant', s.compliant === false ? html`<span class="badge bad">no</span>` : 'yes'],
      ]);
    }
    case 'rekey-failed':
      return detailList([
        ['Code', data.code],
        ['Reason', data.reason],
        ['Attempt', data.attempt],
        ['Retry in', data.retryInMs === null ? 'not scheduled' : `${String(data.retryInMs)} ms`],
        ['Message', data.message],
      ]);
    case 'violation':
      return detailList([
        ['Rule', data.rule],
        ['Action', data.action],
        ['Expected', data.expected],
        ['Actual', data.actual],
        ['Message', data.message],
      ]);
    case 'session-end':
      return detailList([
        ['Reason', data.reason],
        ['Duration', `${String(data.durationMs)} ms`],
      ]);
    case 'dropped':
      return detailList([
        ['Records lost', html`<span class="badge bad">${data.count}</span> (SDK queue overflow)`],
      ]);
    default:
      return html``;
  }
}

export function renderSessionPage(
  session: SessionSummary,
  timeline: StoredRecord[],
  key: string | null,
): string {
  const first = timeline[0]?.record;
  const policy = obj(first?.policy);
  const actions = obj(policy.actions);
  const body = html` <p><a href="${link('/report', key)}">← All sessions</a></p>
    <h2>Session <span class="mono">${session.id}</span> ${status(session)}</h2>
    <dl class="facts">
      <dt>First / last record</dt>
      <dd>${iso(session.firstTime)} – ${iso(session.lastTime)} UTC</dd>
      <dt>Browsers</dt>
      <dd>${browsers(session)}</dd>
      <dt>Latest DTLS / SRTP</dt>
      <dd>
        ${orDash(session.dtlsVersion)} <span class="mono">${session.dtlsCipher ?? ''}</span> ·
        <span class="mono">${orDash(session.srtpProfile)}</span>
      </dd>
      <dt>Generations</dt>
      <dd>
        ${session.maxGeneration} (re-keys ${session.rekeyCount}, failed ${session.rekeyFailedCount})
      </dd>
      <dt>Violations</dt>
      <dd>
        ${session.violationCount} violation records, ${session.nonCompliantSnapshotCount}
        non-compliant snapshots
      </dd>
      <dt>Dropped by SDK</dt>
      <dd>${session.droppedCount}</dd>
      <dt>Ended</dt>
      <dd>
        ${session.endedReason ? html`${session.endedReason} after ${session.durationMs} ms` : 'no session-end record'}
      </dd>
      ${
        first
          ? html`<dt>Policy</dt>
              <dd>
                DTLS ≥ ${policy.minDtlsVersion} (prefer ${policy.preferredDtlsVersion}), forward
                secrecy ${policy.requireForwardSecrecy ? 'required' : 'not required'}, SRTP ≥
                <span class="mono">${policy.minSrtpProfile}</span>; actions: dtls-version
                ${actions['dtls-version']}, forward-secrecy ${actions['forward-secrecy']},
                srtp-profile ${actions['srtp-profile']}
              </dd>`
          : ''
      }
    </dl>
    <div class="table-wrap">
      <table>
        <caption>
          Timeline: ${timeline.length} records in time order (UTC)
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Seq</th>
            <th scope="col">Role</th>
            <th scope="col">Record</th>
            <th scope="col">Generation</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          ${timeline.map(({ record }) => {
            const kind = record.kind;
            const flagged =
              kind === 'violation' ||
              kind === 'rekey-failed' ||
              kind === 'dropped' ||
              obj(obj(record.data).snapshot).compliant === false;
            return html`<tr${flagged ? html` class="noncompliant"` : ''}>
  <td>${when(record.time as number)}</td><td class="num">${record.seq}</td><td>${record.role}</td>
  <td><span class="badge ${flagged ? 'bad' : 'kind'}">${kind}</span></td><td class="num">${record.generation}</td>
  <td>${recordDetails(kind, obj(record.data))}</td>
</tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  return page(`Session ${session.id} · rekey-rtc compliance report`, body);
}

export function renderMessagePage(title: string, message: string, askForKey: boolean): string {
  const body = html`<h2>${title}</h2>
    <p>${message}</p>
    ${
      askForKey
        ? html`<form class="filters" method="get" action="/report">
            <label>Read key<input name="key" type="password" autocomplete="off" required /></label
            ><button type="submit">Open report</button>
          </form>`
        : ''
    }`;
  return page(`${title} · rekey-rtc compliance report`, body);
}
