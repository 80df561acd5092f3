import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SQL_STATEMENT_CLASSES } from './classes.js';

describe('SQL statement classes', () => {
  it('are each documented in docs/policy.md', () => {
    const doc = readFileSync(new URL('../../../../docs/policy.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => m[1]));
    const missing = Object.keys(SQL_STATEMENT_CLASSES).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });
});
