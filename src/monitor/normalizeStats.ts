import type { CandidateType, SecuritySnapshot } from '../types.js';
import { hasForwardSecrecy, parseDtlsVersion } from './dtls.js';
import { fingerprintFromSdp, normalizeFingerprint } from './fingerprint.js';
import { normalizeSrtpProfile } from './srtp.js';

/** One entry of an RTCStatsReport, loosely typed: browsers differ in what they fill in. */
export type StatsEntry = { id: string; type: string; [field: string]: unknown };

/** What one getStats() read says about the transport's security, before any policy. */
export interface TransportSecurity extends Omit<
  SecuritySnapshot,
  'generation' | 'timestamp' | 'violations' | 'advisories' | 'compliant'
> {
  /** True once DTLS is connected: only then are version, cipher and profile meaningful. */
  dtlsConnected: boolean;
  /** Audio RTP packets received on this connection: proof that media really flows. */
  audioPacketsReceived: number;
}

/** The SDPs of the connection: fingerprints come from here when stats have none (Firefox). */
export interface SdpPair {
  local?: string | null;
  remote?: string | null;
}

const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function candidateType(entry: StatsEntry | undefined): CandidateType | null {
  const type = entry?.['candidateType'];
  return CANDIDATE_TYPES.includes(type as CandidateType) ? (type as CandidateType) : null;
}

/** Accepts an RTCStatsReport (Map-like) or a plain array of entries (fixtures, tests). */
export function statsEntries(
  report: Iterable<StatsEntry> | { values(): Iterable<unknown> },
): StatsEntry[] {
  const source =
    'values' in report && typeof report.values === 'function' ? report.values() : report;
  return [...(source as Iterable<StatsEntry>)];
}

function pickTransport(entries: StatsEntry[]): StatsEntry | undefined {
  const transports = entries.filter((e) => e.type === 'transport');
  // Without BUNDLE there may be several transports (one per m-section, plus RTCP with rtcp-mux
  // off); the one that finished DTLS and has a selected pair is the one carrying media.
  return (
    transports.find((t) => t['dtlsState'] === 'connected' && str(t['selectedCandidatePairId'])) ??
    transports.find((t) => t['dtlsState'] === 'connected') ??
    transports[0]
  );
}

function pickPair(entries: StatsEntry[], byId: Map<string, StatsEntry>, transport?: StatsEntry) {
  const id = str(transport?.['selectedCandidatePairId']);
  if (id && byId.get(id)?.type === 'candidate-pair') return byId.get(id);
  // Firefox marks the pair itself with `selected: true` (non-standard but present in ESR 153).
  return entries.find((e) => e.type === 'candidate-pair' && e['selected'] === true);
}

function certificateFingerprint(byId: Map<string, StatsEntry>, id: unknown) {
  const cert = typeof id === 'string' ? byId.get(id) : undefined;
  if (cert?.type !== 'certificate') return null;
  const value = normalizeFingerprint(cert['fingerprint']);
  if (!value) return null;
  return { value, algorithm: str(cert['fingerprintAlgorithm'])?.toLowerCase() ?? null };
}

/**
 * Turns one browser's getStats() result into the security facts rekey-rtc reports. Chromium
 * puts bytes and certificate ids in the transport stats; Firefox ESR has neither (FACTS.md), so
 * bytes come from the selected candidate pair and fingerprints from the SDP.
 */
export function normalizeStats(
  report: Iterable<StatsEntry> | { values(): Iterable<unknown> },
  sdp: SdpPair = {},
): TransportSecurity {
  const entries = statsEntries(report);
  const byId = new Map(entries.map((e) => [e.id, e]));
  const transport = pickTransport(entries);
  const pair = pickPair(entries, byId, transport);

  const dtlsVersion = parseDtlsVersion(transport?.['tlsVersion']);
  const dtlsCipher = str(transport?.['dtlsCipher']);
  const role = transport?.['dtlsRole'];

  const hasTransportBytes = typeof transport?.['bytesSent'] === 'number';
  const bytesFrom = hasTransportBytes ? transport : pair;

  const localCert = certificateFingerprint(byId, transport?.['localCertificateId']);
  const remoteCert = certificateFingerprint(byId, transport?.['remoteCertificateId']);
  const localSdp = localCert ? null : fingerprintFromSdp(sdp.local);
  const remoteSdp = remoteCert ? null : fingerprintFromSdp(sdp.remote);

  const audioPacketsReceived = entries
    .filter((e) => e.type === 'inbound-rtp' && (e['kind'] ?? e['mediaType']) === 'audio')
    .reduce((sum, e) => sum + num(e['packetsReceived']), 0);

  return {
    dtlsConnected: transport?.['dtlsState'] === 'connected',
    dtlsVersion,
    dtlsCipher,
    srtpProfile: normalizeSrtpProfile(transport?.['srtpCipher']),
    forwardSecrecy: hasForwardSecrecy(dtlsVersion, dtlsCipher),
    dtlsRole: role === 'client' || role === 'server' ? role : null,
    bytesSent: num(bytesFrom?.['bytesSent']),
    bytesReceived: num(bytesFrom?.['bytesReceived']),
    localFingerprint: localCert?.value ?? localSdp?.value ?? null,
    remoteFingerprint: remoteCert?.value ?? remoteSdp?.value ?? null,
    fingerprintAlgorithm:
      localCert?.algorithm ?? localSdp?.algorithm ?? remoteSdp?.algorithm ?? null,
    candidateType: candidateType(byId.get(String(pair?.['localCandidateId']))),
    remoteCandidateType: candidateType(byId.get(String(pair?.['remoteCandidateId']))),
    audioPacketsReceived,
  };
}
