import type { Advisory, Violation } from '../types.js';
import { compareDtlsVersions } from '../monitor/dtls.js';
import type { TransportSecurity } from '../monitor/normalizeStats.js';
import { compareSrtpProfiles } from '../monitor/srtp.js';
import type { Policy } from './Policy.js';

export interface PolicyVerdict {
  violations: Violation[];
  advisories: Advisory[];
}

/**
 * Checks one connection's negotiated security against the policy. Unknown values (a browser
 * that reports no version or profile) are violations: an auditor cannot accept what nobody saw.
 */
export function evaluatePolicy(
  security: TransportSecurity,
  policy: Policy,
  generation: number,
): PolicyVerdict {
  const violations: Violation[] = [];
  const advisories: Advisory[] = [];
  const { dtlsVersion, srtpProfile } = security;

  if (!dtlsVersion || compareDtlsVersions(dtlsVersion, policy.minDtlsVersion) < 0) {
    violations.push({
      rule: 'dtls-version',
      action: policy.actions['dtls-version'],
      message: dtlsVersion
        ? `DTLS ${dtlsVersion} is older than the required DTLS ${policy.minDtlsVersion}`
        : 'the browser did not report a DTLS version',
      expected: `>= ${policy.minDtlsVersion}`,
      actual: dtlsVersion ?? 'unknown',
      generation,
    });
  } else if (compareDtlsVersions(dtlsVersion, policy.preferredDtlsVersion) < 0) {
    advisories.push({
      code: 'dtls-legacy-fallback',
      message: `DTLS ${dtlsVersion} accepted as a legacy fallback; DTLS ${policy.preferredDtlsVersion} is preferred`,
      generation,
    });
  }

  if (policy.requireForwardSecrecy && !security.forwardSecrecy) {
    violations.push({
      rule: 'forward-secrecy',
      action: policy.actions['forward-secrecy'],
      message: `cipher suite ${security.dtlsCipher ?? '(unknown)'} does not give forward secrecy`,
      expected: 'ephemeral key exchange',
      actual: security.dtlsCipher ?? 'unknown',
      generation,
    });
  }

  if (!srtpProfile || compareSrtpProfiles(srtpProfile, policy.minSrtpProfile) < 0) {
    violations.push({
      rule: 'srtp-profile',
      action: policy.actions['srtp-profile'],
      message: srtpProfile
        ? `SRTP profile ${srtpProfile} is below the floor ${policy.minSrtpProfile}`
        : 'the browser did not report an SRTP profile',
      expected: `>= ${policy.minSrtpProfile}`,
      actual: srtpProfile ?? 'unknown',
      generation,
    });
  }
  return { violations, advisories };
}
