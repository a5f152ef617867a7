import type { DtlsVersion, PolicyRule, RuleAction, SrtpProfile } from '../types.js';
import { SRTP_PROFILES } from '../monitor/srtp.js';

/**
 * The compliance policy a call is checked against. Every field is optional; omitted fields take
 * the production defaults below.
 * @example
 * // Demand DTLS 1.3 and close calls that fall back to 1.2:
 * { minDtlsVersion: '1.3' }
 * @example
 * // Close calls that do not get AES-GCM (only works where the peer's DTLS server picks GCM):
 * { actions: { 'srtp-profile': 'close' } }
 */
export interface PolicyOptions {
  /**
   * Oldest DTLS version accepted. Anything older violates rule `dtls-version`.
   * @default '1.2'
   */
  minDtlsVersion?: DtlsVersion;
  /**
   * The version we want. A version at or above the minimum but below this one is accepted and
   * reported as the advisory `dtls-legacy-fallback`.
   * @default '1.3'
   */
  preferredDtlsVersion?: DtlsVersion;
  /**
   * Require an ephemeral key exchange (every DTLS 1.3 suite; ECDHE/DHE in 1.2). Rule
   * `forward-secrecy`.
   * @default true
   */
  requireForwardSecrecy?: boolean;
  /**
   * Weakest SRTP protection profile accepted. Rule `srtp-profile`. No browser API selects the
   * profile: the DTLS server picks it, and Chromium as server always picks AES_CM.
   * @default 'AEAD_AES_128_GCM'
   */
  minSrtpProfile?: SrtpProfile;
  /**
   * What each rule does when violated.
   * @default { 'dtls-version': 'close', 'forward-secrecy': 'close', 'srtp-profile': 'report' }
   */
  actions?: Partial<Record<PolicyRule, RuleAction>>;
}

/** A policy with every default filled in. */
export interface Policy {
  minDtlsVersion: DtlsVersion;
  preferredDtlsVersion: DtlsVersion;
  requireForwardSecrecy: boolean;
  minSrtpProfile: SrtpProfile;
  actions: Record<PolicyRule, RuleAction>;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  minDtlsVersion: '1.2',
  preferredDtlsVersion: '1.3',
  requireForwardSecrecy: true,
  minSrtpProfile: 'AEAD_AES_128_GCM',
  actions: Object.freeze({
    'dtls-version': 'close',
    'forward-secrecy': 'close',
    'srtp-profile': 'report',
  }),
}) as Policy;

const DTLS_VERSIONS: readonly DtlsVersion[] = ['1.0', '1.2', '1.3'];
const RULES: readonly PolicyRule[] = ['dtls-version', 'forward-secrecy', 'srtp-profile'];
const ACTIONS: readonly RuleAction[] = ['report', 'rekey', 'close'];

function oneOf<T>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new TypeError(
      `${name} must be one of ${allowed.map((a) => `'${String(a)}'`).join(', ')}`,
    );
  }
  return value as T;
}

/** Validates user policy options and fills in defaults. Throws a TypeError naming the option. */
export function resolvePolicy(options: unknown): Policy {
  if (options === undefined) return { ...DEFAULT_POLICY, actions: { ...DEFAULT_POLICY.actions } };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('policy must be an object');
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (
      ![
        'minDtlsVersion',
        'preferredDtlsVersion',
        'requireForwardSecrecy',
        'minSrtpProfile',
        'actions',
      ].includes(key)
    ) {
      throw new TypeError(`policy.${key} is not a policy option`);
    }
  }
  const minDtlsVersion = oneOf(
    'policy.minDtlsVersion',
    o['minDtlsVersion'],
    DTLS_VERSIONS,
    DEFAULT_POLICY.minDtlsVersion,
  );
  let preferredDefault = DEFAULT_POLICY.preferredDtlsVersion;
  if (DTLS_VERSIONS.indexOf(minDtlsVersion) > DTLS_VERSIONS.indexOf(preferredDefault))
    preferredDefault = minDtlsVersion;
  const preferredDtlsVersion = oneOf(
    'policy.preferredDtlsVersion',
    o['preferredDtlsVersion'],
    DTLS_VERSIONS,
    preferredDefault,
  );
  if (DTLS_VERSIONS.indexOf(preferredDtlsVersion) < DTLS_VERSIONS.indexOf(minDtlsVersion)) {
    throw new TypeError('policy.preferredDtlsVersion must not be older than policy.minDtlsVersion');
  }
  const fs = o['requireForwardSecrecy'];
  if (fs !== undefined && typeof fs !== 'boolean')
    throw new TypeError('policy.requireForwardSecrecy must be a boolean');
  const minSrtpProfile = oneOf(
    'policy.minSrtpProfile',
    o['minSrtpProfile'],
    SRTP_PROFILES,
    DEFAULT_POLICY.minSrtpProfile,
  );

  const actions = { ...DEFAULT_POLICY.actions };
  const given = o['actions'];
  if (given !== undefined) {
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw new TypeError('policy.actions must be an object');
    }
    for (const [rule, action] of Object.entries(given)) {
      if (!RULES.includes(rule as PolicyRule)) {
        throw new TypeError(`policy.actions.${rule} is not a rule; rules are ${RULES.join(', ')}`);
      }
      actions[rule as PolicyRule] = oneOf(`policy.actions.${rule}`, action, ACTIONS, 'report');
    }
  }
  return {
    minDtlsVersion,
    preferredDtlsVersion,
    requireForwardSecrecy: fs ?? true,
    minSrtpProfile,
    actions,
  };
}
