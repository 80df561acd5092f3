import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSecret, describeSecret, isSecretRef, resolveSecret, SecretError } from './secret.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('resolveSecret', () => {
  it('reads an environment variable', () => {
    expect(resolveSecret({ env: 'DB_PASS' }, { DB_PASS: 's3cret' })).toBe('s3cret');
  });

  it('names an unset or empty variable without any value', () => {
    expect(() => resolveSecret({ env: 'DB_PASS' }, {})).toThrow(
      new SecretError({ env: 'DB_PASS' }, 'environment variable DB_PASS is not set'),
    );
    expect(() => resolveSecret({ env: 'DB_PASS' }, { DB_PASS: '' })).toThrow(/DB_PASS is empty/);
  });

  it('trims exactly one trailing newline from a file', () => {
    expect(resolveSecret({ file: file('lf', 'pw\n') })).toBe('pw');
    expect(resolveSecret({ file: file('crlf', 'pw\r\n') })).toBe('pw');
    expect(resolveSecret({ file: file('two', 'pw\n\n') })).toBe('pw\n');
    expect(resolveSecret({ file: file('none', ' pw ') })).toBe(' pw ');
  });

  it('names an unreadable or empty file, never its content', () => {
    const missing = join(dir, 'missing');
    const error = (() => {
      try {
        resolveSecret({ file: missing });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).message).toBe(`cannot read secret file ${missing} (ENOENT)`);
    expect((error as SecretError).reference).toBe(`file:${missing}`);
    expect(() => resolveSecret({ file: file('empty', '\n') })).toThrow(/is empty/);
  });
});

describe('checkSecret', () => {
  it('reports a problem or nothing, never the value', () => {
    expect(checkSecret({ env: 'TOKEN' }, { TOKEN: 'abc' })).toBeUndefined();
    expect(checkSecret({ env: 'TOKEN' }, {})).toBe('environment variable TOKEN is not set');
  });
});

describe('describeSecret / isSecretRef', () => {
  it('describes by reference', () => {
    expect(describeSecret({ env: 'A' })).toBe('env:A');
    expect(describeSecret({ file: '/run/secrets/a' })).toBe('file:/run/secrets/a');
  });

  it('recognises exactly the two shapes', () => {
    expect(isSecretRef({ env: 'A' })).toBe(true);
    expect(isSecretRef({ file: 'a' })).toBe(true);
    expect(isSecretRef({ env: 'A', file: 'b' })).toBe(false);
    expect(isSecretRef({ env: 1 })).toBe(false);
    expect(isSecretRef(['env'])).toBe(false);
    expect(isSecretRef('env:A')).toBe(false);
  });
});
