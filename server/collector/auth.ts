/**
 * Bearer-token API keys. Keys are kept only as SHA-256 digests and compared in constant time;
 * the digest also names the caller in the rate limiter, so no key is ever held in a log line or
 * a limiter bucket name.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Scope = 'ingest' | 'read';

export const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([^\s]{1,512})\s*$/i.exec(header);
  return m ? m[1]! : null;
}

export class KeyRing {
  private readonly keys: { digest: Buffer; scope: Scope }[];

  constructor(ingestKeys: readonly string[], readKeys: readonly string[]) {
    const all = [
      ...ingestKeys.map((k) => ({ key: k, scope: 'ingest' as const })),
      ...readKeys.map((k) => ({ key: k, scope: 'read' as const })),
    ];
    for (const { key } of all) {
      // Short keys are guessable; refuse to run with one rather than warn.
      if (key.length < 16) throw new Error('API keys must be at least 16 characters');
    }
    this.keys = all.map(({ key, scope }) => ({ digest: digest(key), scope }));
  }

  /** The scopes this token grants (empty for an unknown token). Checks every key: no early exit. */
  scopes(token: string): Set<Scope> {
    const d = digest(token);
    const granted = new Set<Scope>();
    for (const k of this.keys) if (timingSafeEqual(k.digest, d)) granted.add(k.scope);
    return granted;
  }
}
