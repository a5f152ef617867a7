import type { DtlsVersion } from '../types.js';

/**
 * `RTCDtlsTransport`/`RTCTransportStats.tlsVersion` is the record-layer version as hex. DTLS counts
 * down from 0xFEFF: FEFF = DTLS 1.0, FEFD = DTLS 1.2, FEFC = DTLS 1.3 (RFC 9147 §5.3).
 */
const VERSIONS: Record<string, DtlsVersion> = { FEFF: '1.0', FEFD: '1.2', FEFC: '1.3' };

/** Maps a reported `tlsVersion` to a DTLS version, case-insensitively; null when unknown. */
export function parseDtlsVersion(tlsVersion: unknown): DtlsVersion | null {
  if (typeof tlsVersion !== 'string') return null;
  return VERSIONS[tlsVersion.trim().toUpperCase()] ?? null;
}

const ORDER: Record<DtlsVersion, number> = { '1.0': 0, '1.2': 2, '1.3': 3 };

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareDtlsVersions(a: DtlsVersion, b: DtlsVersion): number {
  return ORDER[a] - ORDER[b];
}

/**
 * Whether a negotiated suite gives forward secrecy. Every TLS 1.3 suite does (its key exchange
 * is always (EC)DHE; the suite names only the AEAD and hash). Before 1.3 the suite names the key
 * exchange: ECDHE and DHE are ephemeral, static RSA/ECDH/PSK-only are not. Unknown names are
 * treated as no forward secrecy: a compliance check must fail closed.
 */
export function hasForwardSecrecy(version: DtlsVersion | null, cipher: string | null): boolean {
  if (version === '1.3') return true;
  if (!cipher) return false;
  const name = cipher.toUpperCase();
  return /^TLS_(ECDHE|DHE)_/.test(name);
}
