import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MINIMUM_NODE, nodeVersionProblem } from './node-version.js';

describe('nodeVersionProblem', () => {
  it('accepts the minimum and anything newer', () => {
    for (const v of ['22.16.0', '22.16.1', '22.17.0', '24.0.0', '24.21.0', '30.1.2']) {
      expect(nodeVersionProblem(v), v).toBeUndefined();
    }
  });

  it('names the version needed for anything older', () => {
    for (const v of ['20.20.2', '22.15.9', '22.0.0', '18.19.0']) {
      expect(nodeVersionProblem(v), v).toBe(
        `Node.js 22.16.0 or newer is required (this is ${v}); install Node.js 24 LTS`,
      );
    }
  });

  it('matches package.json engines', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE.replace(/\.0$/, '')}`);
  });
});
