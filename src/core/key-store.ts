/**
 * Key material the gateway generates once and keeps, by name (a connector's SSH host key, a
 * certificate authority): the first replica to ask creates it, every later ask — by any
 * replica, after any restart — gets the same value. The server backs it with the store.
 */
export interface KeyStore {
  /** The value stored under `name`; `create()` makes it the first time (one winner across replicas). */
  getOrCreate(name: string, create: () => string): Promise<string>;
}
