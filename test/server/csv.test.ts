/** CSV cells for spreadsheets: formula injection neutralised, RFC 4180 quoting. */
import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../server/collector/csv.js';

describe('csv', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2+3', "'-2+3"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['plain', 'plain'],
  ])('escapes %j', (input, output) => {
    expect(csvCell(input)).toBe(output);
  });

  it('leaves numbers, booleans and empties alone', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(false)).toBe('false');
    expect(csvCell(null)).toBe('');
  });

  it('writes CRLF rows with a header', () => {
    expect(toCsv(['a', 'b'], [[1, '=x']])).toBe("a,b\r\n1,'=x\r\n");
  });
});
