import type { SrtpProfile } from '../types.js';

/**
 * Browsers spell the same DTLS-SRTP profile two ways: Chromium reports the IANA registry name
 * (`SRTP_AES128_CM_HMAC_SHA1_80`), Firefox and older versions the RFC 5764/7714 name with an
 * `SRTP_` prefix or none. Keys are upper-cased and stripped of that prefix before lookup.
 */
const ALIASES: Record<string, SrtpProfile> = {
  AES128_CM_HMAC_SHA1_80: 'AES_CM_128_HMAC_SHA1_80',
  AES_CM_128_HMAC_SHA1_80: 'AES_CM_128_HMAC_SHA1_80',
  AES128_CM_HMAC_SHA1_32: 'AES_CM_128_HMAC_SHA1_32',
  AES_CM_128_HMAC_SHA1_32: 'AES_CM_128_HMAC_SHA1_32',
  AEAD_AES_128_GCM: 'AEAD_AES_128_GCM',
  AEAD_AES_256_GCM: 'AEAD_AES_256_GCM',
};

/** Canonical profile name for any spelling a browser reports, or null when unknown. */
export function normalizeSrtpProfile(reported: unknown): SrtpProfile | null {
  if (typeof reported !== 'string') return null;
  const key = reported
    .trim()
    .toUpperCase()
    .replace(/^SRTP_/, '');
  return ALIASES[key] ?? null;
}

/** Strength order used for the policy floor: a 32-bit tag is weakest, AES-256-GCM strongest. */
const RANK: Record<SrtpProfile, number> = {
  AES_CM_128_HMAC_SHA1_32: 0,
  AES_CM_128_HMAC_SHA1_80: 1,
  AEAD_AES_128_GCM: 2,
  AEAD_AES_256_GCM: 3,
};

export const SRTP_PROFILES = Object.keys(RANK) as SrtpProfile[];

/** Negative when a is weaker than b. */
export function compareSrtpProfiles(a: SrtpProfile, b: SrtpProfile): number {
  return RANK[a] - RANK[b];
}
