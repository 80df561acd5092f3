import { createHash, type Hash } from 'node:crypto';

/** Hex characters of the HMAC kept in `h:<hex>`: 64 bits, enough to join on, short to read. */
const HEX_CHARS = 16;
const BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104) with the key's inner and outer pad absorbed once: each value then
 * costs two copies of a prepared hash instead of a fresh `createHmac` (several times slower,
 * and this runs per masked cell).
 */
export class KeyedHasher {
  readonly #inner: Hash;
  readonly #outer: Hash;

  constructor(key: Buffer) {
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? createHash('sha256').update(key).digest() : key).copy(block);
    this.#inner = createHash('sha256').update(block.map((b) => b ^ 0x36));
    this.#outer = createHash('sha256').update(block.map((b) => b ^ 0x5c));
  }

  /** `h:` and the first 16 hex characters of HMAC-SHA256(key, value). */
  hash(value: string): string {
    const inner = this.#inner.copy().update(value, 'utf8').digest();
    return `h:${this.#outer.copy().update(inner).digest('hex').slice(0, HEX_CHARS)}`;
  }
}
