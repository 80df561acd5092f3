import { rm } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from 'pino';
import { seedDemoData } from './demo-seed.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';

export interface DemoTargetOptions {
  /** Interface to listen on (default 127.0.0.1; keep it on loopback: there is no auth). */
  host?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /**
   * Where the database files live. A directory makes the second start fast (no initdb) and
   * is rebuilt from scratch when it cannot be opened; absent means in memory.
   */
  dataDir?: string;
  /** Client connections served at once (default 32); further ones are closed on accept. */
  maxConnections?: number;
  logger?: Logger;
}

/** A running embedded PostgreSQL speaking the real wire protocol. */
export interface DemoTarget {
  readonly host: string;
  readonly port: number;
  /** PGlite has one database and one superuser, both `postgres`; it accepts any password. */
  readonly database: string;
  readonly user: string;
  /** Stops listening and closes the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly, in this process) behind a TCP listener,
 * with the demo tables seeded.
 *
 * Limitation, by PGlite's design: there is ONE backend session. The socket server multiplexes
 * client connections onto it message by message, holding other clients back while one is inside
 * an explicit transaction. Connections therefore share session state (SET, named prepared
 * statements, temp tables, LISTEN) and cancel requests are ignored. Fine for a demo where the
 * gateway opens one target connection per client session; not a PostgreSQL server.
 */
export async function startDemoTarget(options: DemoTargetOptions = {}): Promise<DemoTarget> {
  const { logger, dataDir } = options;
  const lock = dataDir ? await acquireDirLock(dataDir) : undefined;
  let db: PGlite | undefined;
  try {
    db = await openDatabase(dataDir, logger);
    const server = new PGLiteSocketServer({
      db,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      maxConnections: options.maxConnections ?? 32,
    });
    await server.start();
    const [host, port] = splitHostPort(server.getServerConn());
    logger?.info({ listen: `${host}:${port}`, dataDir: dataDir ?? 'memory' }, 'demo target ready');
    let closing: Promise<void> | undefined;
    const opened = db;
    return {
      host,
      port,
      database: 'postgres',
      user: 'postgres',
      close() {
        closing ??= shutDown(server, opened, lock);
        return closing;
      },
    };
  } catch (err) {
    await db?.close().catch(() => {});
    await lock?.release();
    throw err;
  }
}

/** Opens (creating on first use) and seeds the database; a broken data dir is rebuilt once. */
async function openDatabase(dataDir: string | undefined, logger?: Logger): Promise<PGlite> {
  try {
    return await openAndSeed(dataDir, logger);
  } catch (err) {
    if (!dataDir) throw err;
    logger?.warn({ err, dataDir }, 'demo database could not be opened; recreating it');
    await rm(dataDir, { recursive: true, force: true });
    return openAndSeed(dataDir, logger);
  }
}

async function openAndSeed(dataDir: string | undefined, logger?: Logger): Promise<PGlite> {
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  try {
    if (await seedDemoData(db)) logger?.info({ dataDir: dataDir ?? 'memory' }, 'demo data seeded');
    return db;
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

async function shutDown(server: PGLiteSocketServer, db: PGlite, lock?: DirLock): Promise<void> {
  try {
    await server.stop();
    // stop() detaches its handlers without waiting; a client caught inside a transaction gets
    // a ROLLBACK queued on the database, which must run before the database closes.
    await db.runExclusive(async () => {});
    await db.close();
  } finally {
    await lock?.release();
  }
}

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
