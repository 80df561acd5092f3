import { describe, expect, it } from 'vitest';
import { NameTable } from './names.js';

describe('NameTable', () => {
  it('uses a staged value within its own segment', () => {
    const table = new NameTable<string>();
    table.stage('s', 'new', 0);
    expect(table.lookup('s', 0)).toEqual({ ready: true, value: 'new' });
  });

  it('makes a later segment wait until the target answered', async () => {
    const table = new NameTable<string>();
    table.commit('s', 'old');
    const op = table.stage('s', 'new', 0);
    const later = table.lookup('s', 1);
    expect(later.ready).toBe(false);
    table.settle(op, false);
    if (!later.ready) await later.wait;
    // Skipped/rejected Parse: the old statement is still the one in force.
    expect(table.lookup('s', 1)).toEqual({ ready: true, value: 'old' });
  });

  it('commits applied operations, including Close', () => {
    const table = new NameTable<string>();
    table.settle(table.stage('s', 'a', 0), true);
    expect(table.lookup('s', 3)).toEqual({ ready: true, value: 'a' });
    table.settle(table.stage('s', undefined, 3), true);
    expect(table.lookup('s', 4)).toEqual({ ready: true, value: undefined });
  });

  it('keeps the newest staged operation when an older one settles', () => {
    const table = new NameTable<string>();
    const first = table.stage('', 'one', 0);
    table.stage('', 'two', 1);
    table.settle(first, true);
    expect(table.lookup('', 1)).toEqual({ ready: true, value: 'two' });
    expect(table.committed('')).toBe('one');
  });
});
