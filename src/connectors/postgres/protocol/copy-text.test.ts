import { describe, expect, it } from 'vitest';
import {
  type CopyTextFormat,
  copyTextFormat,
  encodeCopyField,
  splitCopyLine,
} from './copy-text.js';

const TEXT = copyTextFormat(false);
const CSV = copyTextFormat(true);

const values = (line: string, format: CopyTextFormat) =>
  splitCopyLine(line, format)?.map((field) => field.value);

describe('COPY text format', () => {
  it('splits on tabs and reads \\N as NULL', () => {
    expect(values('1\tann\t\\N\t', TEXT)).toEqual(['1', 'ann', null, '']);
    expect(values('', TEXT)).toEqual(['']);
  });

  it('reads every backslash escape, including octal and hex bytes', () => {
    expect(values('a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh', TEXT)).toEqual(['a\tb\nc\rd\\e\bf\fg\vh']);
    expect(values('\\101\\x42\\7\\x4\\q\\xz', TEXT)).toEqual(['AB\x07\x04qxz']);
    // A UTF-8 character written as escaped bytes.
    expect(values('\\303\\251\\xc3\\xa9', TEXT)).toEqual(['éé']);
    expect(values('\\\\N', TEXT)).toEqual(['\\N']);
  });

  it('does not split on an escaped delimiter and refuses a dangling backslash', () => {
    const pipe = { ...TEXT, delimiter: '|' };
    expect(values('a\\|b|c', pipe)).toEqual(['a|b', 'c']);
    expect(splitCopyLine('a\\', TEXT)).toBeUndefined();
  });

  it('keeps the raw text of each field', () => {
    expect(splitCopyLine('a\\tb\t\\N', TEXT)).toEqual([
      { raw: 'a\\tb', value: 'a\tb', quoted: false },
      { raw: '\\N', value: null, quoted: false },
    ]);
  });

  it('writes values back so they read the same', () => {
    const cases = ['plain', 'tab\there', 'new\nline\r\n', 'back\\slash', '\\N', '\\.', 'ünï😀', ''];
    for (const value of cases) {
      const encoded = encodeCopyField(value, TEXT);
      expect(values(encoded, TEXT)).toEqual([value]);
    }
    expect(encodeCopyField('a\tb\\c\nd', TEXT)).toBe('a\\tb\\\\c\\nd');
    expect(encodeCopyField(null, TEXT)).toBe('\\N');
    expect(encodeCopyField('a|b', { ...TEXT, delimiter: '|' })).toBe('a\\|b');
    expect(encodeCopyField(null, { ...TEXT, null: 'NULL' })).toBe('NULL');
  });
});

describe('COPY CSV format', () => {
  it('splits quoted and unquoted fields; an empty unquoted field is NULL', () => {
    expect(values('1,"a,b",,""', CSV)).toEqual(['1', 'a,b', null, '']);
    expect(values('"say ""hi""","x\ny"', CSV)).toEqual(['say "hi"', 'x\ny']);
  });

  it('honours DELIMITER, QUOTE, ESCAPE and NULL', () => {
    const custom: CopyTextFormat = {
      csv: true,
      delimiter: ';',
      quote: "'",
      escape: '\\',
      null: 'NIL',
    };
    expect(values("1;'it\\'s; \\\\ok';NIL;'NIL';x\\y", custom)).toEqual([
      '1',
      "it's; \\ok",
      null,
      'NIL',
      'x\\y',
    ]);
    for (const value of ["it's", 'a;b', 'NIL', 'back\\slash', 'new\nline', 'ü']) {
      expect(values(encodeCopyField(value, custom), custom)).toEqual([value]);
    }
    expect(encodeCopyField("it's \\", custom)).toBe("'it\\'s \\\\'");
  });

  it('refuses what the server never writes', () => {
    expect(splitCopyLine('"open', CSV)).toBeUndefined();
    expect(splitCopyLine('"a"b,c', CSV)).toBeUndefined();
    expect(splitCopyLine('a"b', CSV)).toBeUndefined();
  });

  it('quotes only when needed, or when the field was quoted', () => {
    expect(encodeCopyField('plain', CSV)).toBe('plain');
    expect(encodeCopyField('', CSV)).toBe('""');
    expect(encodeCopyField('a,b', CSV)).toBe('"a,b"');
    expect(encodeCopyField('say "hi"', CSV)).toBe('"say ""hi"""');
    expect(encodeCopyField('cr\r', CSV)).toBe('"cr\r"');
    expect(encodeCopyField('plain', CSV, { quoted: true })).toBe('"plain"');
    expect(encodeCopyField('\\.', CSV, { only: true })).toBe('"\\."');
    expect(encodeCopyField('\\.', CSV)).toBe('\\.');
    expect(encodeCopyField(null, CSV)).toBe('');
    for (const value of ['', 'x', 'a,b', '"', '""', 'multi\nline', '€ ✓']) {
      expect(values(encodeCopyField(value, CSV), CSV)).toEqual([value]);
    }
  });
});
