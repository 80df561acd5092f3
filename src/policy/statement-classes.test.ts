import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SQL_STATEMENT_CLASSES } from './statement-classes.js';

describe('SQL statement classes', () => {
  it('are each documented in docs/policy.md', () => {
    const doc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');
    const missing = Object.keys(SQL_STATEMENT_CLASSES).filter(
      (name) => !doc.includes(`| \`${name}\` |`),
    );
    expect(missing).toEqual([]);
  });
});
