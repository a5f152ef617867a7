/**
 * The schema files themselves: valid draft-07, every kind's builder passes, the envelope limits
 * hold, and no string field is left without a length limit.
 */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { batchSchema, recordSchema, validateRecord } from '../../server/collector/validation.js';
import { dataFor, record, type Kind } from './records.js';

const KINDS: Kind[] = [
  'session-start',
  'handshake',
  'snapshot',
  'rekey',
  'rekey-failed',
  'violation',
  'session-end',
  'dropped',
];

describe('telemetry schema v1', () => {
  it('is a valid draft-07 schema that a plain Ajv compiles without warnings', () => {
    expect(recordSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const warnings: unknown[] = [];
    const ajv = new Ajv({
      logger: {
        log: () => {},
        warn: (w: unknown) => warnings.push(w),
        error: (e: unknown) => warnings.push(e),
      },
    });
    ajv.addSchema(recordSchema);
    const batch = ajv.compile(batchSchema);
    expect(warnings).toEqual([]);
    expect(batch({ records: [record('dropped')] })).toBe(true);
    expect(batch({ records: [] })).toBe(false);
    expect(batch({ records: Array.from({ length: 501 }, () => record('dropped')) })).toBe(false);
  });

  it.each(KINDS)('accepts a well-formed %s record', (kind) => {
    const ok = validateRecord(record(kind));
    expect(validateRecord.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(KINDS)('rejects %s with the data of another kind', (kind) => {
    const other = KINDS.find(
      (k) => JSON.stringify(Object.keys(dataFor(k))) !== JSON.stringify(Object.keys(dataFor(kind))),
    )!;
    expect(validateRecord(record(kind, { data: dataFor(other) }))).toBe(false);
  });

  it('accepts nullable fields as null and session-start without a schedule', () => {
    const r = record('rekey-failed', { data: { ...dataFor('rekey-failed'), retryInMs: null } });
    expect(validateRecord(r)).toBe(true);
    expect(validateRecord(record('session-start', { data: { rekey: null } }))).toBe(true);
    expect(
      validateRecord(
        record('handshake', { browser: { name: 'Not a supported browser.', version: null } }),
      ),
    ).toBe(true);
  });

  it('bounds every string and closes every object', () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (!node || typeof node !== 'object') return;
      const s = node as Record<string, unknown>;
      const types = ([] as unknown[]).concat(s.type ?? []);
      if (types.includes('string') && s.maxLength === undefined && s.enum === undefined)
        open.push(`${path}: string without maxLength`);
      if (types.includes('object') && s.properties && s.additionalProperties !== false)
        open.push(`${path}: open object`);
      for (const [k, v] of Object.entries(s)) walk(v, `${path}/${k}`);
    };
    walk(recordSchema, '#');
    walk(batchSchema, '#');
    expect(open).toEqual([]);
  });
});
