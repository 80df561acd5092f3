import { describe, expect, it } from 'vitest';
import { compileGlob } from './glob.js';

describe('compileGlob', () => {
  it.each([
    ['app', 'app', true],
    ['app', 'App', false],
    ['app', 'app2', false],
    ['prod-*', 'prod-eu', true],
    ['prod-*', 'prod-', true],
    ['prod-*', 'xprod-eu', false],
    ['db?', 'db1', true],
    ['db?', 'db12', false],
    ['a.b', 'axb', false],
    ['rm *', 'rm -rf /', true],
    ['rm *', 'echo; rm -rf /', false],
    ['*', 'line\nbreak', true],
    ['(x)+[y]', '(x)+[y]', true],
  ])('%j against %j → %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });
});
