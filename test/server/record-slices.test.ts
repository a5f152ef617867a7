/** Raw record slices must equal the parsed records, or be refused (then the caller stringifies). */
import { describe, expect, it } from 'vitest';
import { recordSlices } from '../../server/collector/record-slices.js';
import { record } from './records.js';

const roundTrip = (raw: string) => {
  const parsed = (JSON.parse(raw) as { records: unknown[] }).records;
  const slices = recordSlices(raw, parsed.length);
  expect(slices).not.toBeNull();
  expect(slices!.map((s) => JSON.parse(s) as unknown)).toEqual(parsed);
  return slices!;
};

describe('recordSlices', () => {
  it('slices compact and pretty-printed batches', () => {
    const records = [
      record('handshake'),
      record('violation'),
      record('session-start', { data: { rekey: null } }),
    ];
    roundTrip(JSON.stringify({ records }));
    roundTrip(JSON.stringify({ records }, null, 2));
    roundTrip(` \n{ "records" :\t[ ${records.map((r) => JSON.stringify(r)).join(' , ')} ] }\r\n`);
  });

  it('handles quotes, backslashes and brackets inside strings', () => {
    const r = record('violation', {
      data: {
        rule: 'dtls-version',
        action: 'report',
        message: 'a "quoted" \\ back\\slash } ] { [ \\"',
        expected: '\\',
        actual: '"',
        generation: 0,
      },
    });
    const slices = roundTrip(JSON.stringify({ records: [r, record('dropped')] }));
    expect(slices).toHaveLength(2);
  });

  it('refuses shapes it does not expect', () => {
    const one = JSON.stringify(record('dropped'));
    expect(recordSlices(`{"records":[${one}],"records":[${one}]}`, 1)).toBeNull();
    expect(recordSlices(`{"rec\\u006frds":[${one}]}`, 1)).toBeNull();
    expect(recordSlices(`{"records":[${one}]}`, 2)).toBeNull();
    expect(recordSlices(`{"records":[${one}, 5]}`, 2)).toBeNull();
    expect(recordSlices(`{"records":[${one}]} x`, 1)).toBeNull();
  });
});
