/**
 * Gateway-issued backend keys. Clients only ever see a key the gateway made up; a CancelRequest
 * carrying it is mapped to the target session's real key, which never leaves the gateway.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 */
import { randomInt, timingSafeEqual } from 'node:crypto';

export interface CancelTarget {
  /** Sends the target's own CancelRequest. */
  cancel(): Promise<void>;
}

interface Entry {
  secret: Buffer;
  target: CancelTarget;
}

export class CancelRegistry {
  readonly #entries = new Map<number, Entry>();

  /** Issues a fresh (pid, secret) for a session; `release` forgets it at session end. */
  issue(target: CancelTarget): { pid: number; secret: number; release: () => void } {
    let pid: number;
    do pid = randomInt(1, 0x7fffffff);
    while (this.#entries.has(pid));
    const secret = randomInt(-0x80000000, 0x7fffffff);
    const secretBytes = Buffer.alloc(4);
    secretBytes.writeInt32BE(secret);
    const entry: Entry = { secret: secretBytes, target };
    this.#entries.set(pid, entry);
    return {
      pid,
      secret,
      release: () => {
        if (this.#entries.get(pid) === entry) this.#entries.delete(pid);
      },
    };
  }

  /** The target to cancel for a client's key, or undefined when the key is unknown or wrong. */
  lookup(pid: number, secret: Buffer): CancelTarget | undefined {
    const entry = this.#entries.get(pid);
    if (!entry || entry.secret.length !== secret.length) return undefined;
    return timingSafeEqual(entry.secret, secret) ? entry.target : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }
}
