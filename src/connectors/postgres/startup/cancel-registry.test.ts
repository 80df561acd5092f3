import { describe, expect, it } from 'vitest';
import { CancelRegistry } from './cancel-registry.js';

const key = (secret: number) => {
  const out = Buffer.alloc(4);
  out.writeInt32BE(secret);
  return out;
};

describe('CancelRegistry', () => {
  it('maps an issued key to its target and nothing else', () => {
    const registry = new CancelRegistry();
    const target = { cancel: async () => {} };
    const issued = registry.issue(target);
    expect(registry.lookup(issued.pid, key(issued.secret))).toBe(target);
    expect(registry.lookup(issued.pid, key(issued.secret ^ 1))).toBeUndefined();
    expect(registry.lookup(issued.pid + 1, key(issued.secret))).toBeUndefined();
    expect(registry.lookup(issued.pid, Buffer.alloc(8))).toBeUndefined();
    issued.release();
    expect(registry.lookup(issued.pid, key(issued.secret))).toBeUndefined();
    expect(registry.size).toBe(0);
  });

  it('issues distinct pids', () => {
    const registry = new CancelRegistry();
    const pids = new Set(
      Array.from({ length: 1000 }, () => registry.issue({ cancel: async () => {} }).pid),
    );
    expect(pids.size).toBe(1000);
  });
});
