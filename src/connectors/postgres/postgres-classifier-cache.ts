/**
 * A least-recently-used map bounded by entry count and by the total length of its keys, so a
 * stream of huge distinct statements cannot grow memory without bound. A Map keeps insertion
 * order, so re-inserting on a hit makes the oldest entry the first one.
 */
export class LruCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #maxEntries: number;
  readonly #maxKeyChars: number;
  #keyChars = 0;

  constructor(maxEntries: number, maxKeyChars: number) {
    if (!(maxEntries >= 1) || !(maxKeyChars >= 1)) {
      throw new TypeError('LruCache needs maxEntries and maxKeyChars of at least 1');
    }
    this.#maxEntries = maxEntries;
    this.#maxKeyChars = maxKeyChars;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value`; keys longer than the whole budget are not stored at all. */
  set(key: string, value: V): void {
    if (key.length > this.#maxKeyChars) return;
    if (this.#entries.delete(key)) this.#keyChars -= key.length;
    this.#entries.set(key, value);
    this.#keyChars += key.length;
    while (this.#entries.size > this.#maxEntries || this.#keyChars > this.#maxKeyChars) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#keyChars -= oldest.length;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#keyChars = 0;
  }
}
