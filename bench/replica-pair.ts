/**
 * Two `gatehouse serve` processes sharing one PostgreSQL store, in front of one target
 * database: the smallest real multi-replica deployment. Used by bench/replica-release.ts and by
 * test/approvals/replicas.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { parseConfig } from '../src/connectors/registry.js';
import { DevIssuer } from '../src/identity/index.js';

export interface PostgresServer {
  host: string;
  port: number;
  /** A superuser reachable without a password (trust auth), e.g. `postgres`. */
  user: string;
}

export interface ReplicaPairOptions {
  server: PostgresServer;
  /** The connector's rules, as written in YAML. */
  rules: unknown[];
  /** SQL run on the fresh target database before the replicas start. */
  setup?: string;
  /** The replicas' log level (default `info`: the pair reads readiness from the logs). */
  logLevel?: string;
}

/** One JSON log line of a replica. */
export type LogLine = Record<string, unknown> & { msg?: string };

export interface Replica {
  readonly name: string;
  readonly configFile: string;
  readonly apiUrl: string;
  /** Where its postgres connector listens. */
  readonly listen: { host: string; port: number };
  readonly logs: ReadonlyArray<LogLine>;
  /** Resolves with the first log line (already seen or still to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** `kill -HUP`: reload the config file. */
  reload(): void;
  /** `kill -TERM` (drain, then exit; SIGKILL after 15 s); resolves once the process exited. */
  stop(): Promise<void>;
}

export interface ReplicaPair {
  readonly a: Replica;
  readonly b: Replica;
  readonly storeDatabase: string;
  readonly targetDatabase: string;
  /** A dev-issuer token both replicas accept. */
  token(subject: string, claims?: { groups?: string[]; agent?: boolean }): Promise<string>;
  /** pg settings to connect through `replica` as `subject`. */
  clientConfig(replica: Replica, subject: string, token: string): pg.ClientConfig;
  /** Rewrites both config files with these rules (send `reload()` to apply). */
  writeRules(rules: unknown[] | string): Promise<void>;
  /** Stops both processes, drops both databases, removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * How to run `gatehouse`: the built CLI next to this compiled file, or, when this file runs from
 * the sources (tests), `src/cli/gatehouse.ts` through Node's type stripping and the repository's
 * `.js` → `.ts` resolve hook.
 */
function cliCommand(): string[] {
  const built = resolve(HERE, '../src/cli/gatehouse.js');
  if (existsSync(built)) return [built];
  const root = resolve(HERE, '..');
  // Tests run this file from the sources; the build `npm test` makes first starts much faster.
  const dist = join(root, 'dist/src/cli/gatehouse.js');
  if (process.env['GATEHOUSE_CLI_FROM_SOURCE'] !== '1' && existsSync(dist)) return [dist];
  return [
    '--experimental-transform-types',
    '--no-warnings',
    '--import',
    join(root, 'test/helpers/ts-register.mjs'),
    join(root, 'src/cli/gatehouse.ts'),
  ];
}

async function onServer<T>(
  server: PostgresServer,
  database: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ ...server, database, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function configYaml(
  pair: { server: PostgresServer; store: string; target: string; keyFile: string },
  rules: unknown[],
): string {
  const { server } = pair;
  return stringify({
    server: { api: { listen: '127.0.0.1:0' } },
    store: { url: `postgres://${server.user}@${server.host}:${server.port}/${pair.store}` },
    identity: { issuers: [{ name: 'dev', dev: true, key_file: pair.keyFile }] },
    // dba reviews and edits central policy (policy.editors defaults to the approver groups).
    reviews: { approvers: ['dba'] },
    connectors: [
      {
        name: 'pg',
        type: 'postgres',
        listen: '127.0.0.1:0',
        target: {
          host: server.host,
          port: server.port,
          database: pair.target,
          user: server.user,
        },
        access: { groups: ['*'] },
        default: 'allow',
        rules,
      },
    ],
  });
}

/** Creates the two databases, writes two config files and starts both replicas. */
export async function startReplicaPair(options: ReplicaPairOptions): Promise<ReplicaPair> {
  const { server } = options;
  const suffix = randomBytes(5).toString('hex');
  const store = `gh_replicas_store_${suffix}`;
  const target = `gh_replicas_target_${suffix}`;
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-replicas-'));
  const keyFile = join(dir, 'dev-issuer-key.json');
  const layout = { server, store, target, keyFile };
  const files = { a: join(dir, 'replica-a.yaml'), b: join(dir, 'replica-b.yaml') };
  const replicas: ServeProcess[] = [];
  let closed: Promise<void> | undefined;

  const close = () => {
    closed ??= (async () => {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await onServer(server, 'postgres', async (admin) => {
        for (const name of [store, target])
          await admin.query(`drop database if exists ${name} with (force)`);
      });
      await rm(dir, { recursive: true, force: true });
    })();
    return closed;
  };

  try {
    await onServer(server, 'postgres', async (admin) => {
      await admin.query(`create database ${store}`);
      await admin.query(`create database ${target}`);
    });
    if (options.setup) await onServer(server, target, (client) => client.query(options.setup!));
    const yaml = configYaml(layout, options.rules);
    await writeFile(files.a, yaml);
    await writeFile(files.b, yaml);
    // Created before the replicas start, so both read the same signing key.
    const devConfig = parseConfig(yaml, files.a).identity.issuers[0]!;
    const issuer = await DevIssuer.load(devConfig);

    const env = { ...process.env, GATEHOUSE_LOG_LEVEL: options.logLevel ?? 'info' };
    replicas.push(new ServeProcess('a', files.a, env), new ServeProcess('b', files.b, env));
    const [a, b] = await Promise.all(replicas.map((replica) => replica.ready()));

    return {
      a: a!,
      b: b!,
      storeDatabase: store,
      targetDatabase: target,
      token: (subject, claims = {}) => issuer.mint(subject, { ...claims, ttlSeconds: 3600 }),
      clientConfig: (replica, subject, token) => ({
        ...replica.listen,
        user: subject,
        database: target,
        password: token,
      }),
      async writeRules(rules) {
        const text = typeof rules === 'string' ? rules : configYaml(layout, rules);
        await writeFile(files.a, text);
        await writeFile(files.b, text);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One `gatehouse serve -c FILE` child process, read through its JSON logs on stderr. */
class ServeProcess implements Replica {
  readonly name: string;
  readonly configFile: string;
  readonly logs: LogLine[] = [];
  apiUrl = '';
  listen = { host: '', port: 0 };
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #watchers = new Set<(line: LogLine) => void>();
  #stderr = '';

  constructor(name: string, configFile: string, env: NodeJS.ProcessEnv) {
    this.name = name;
    this.configFile = configFile;
    this.#child = spawn(process.execPath, [...cliCommand(), 'serve', '-c', configFile], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#exited = new Promise((done) => this.#child.once('exit', (code) => done(code)));
    let partial = '';
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.#onLine(line);
    });
  }

  #onLine(text: string): void {
    this.#stderr = `${this.#stderr}${text}\n`.slice(-20_000);
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    this.logs.push(line);
    for (const watcher of this.#watchers) watcher(line);
  }

  /** Resolves once the API and the connector listen; rejects if the process exits first. */
  async ready(timeoutMs = 90_000): Promise<this> {
    const listening = await this.waitForLog((l) => l.msg === 'connector listening', timeoutMs);
    const ready = await this.waitForLog((l) => l.msg === 'gatehouse ready', timeoutMs);
    const [host, port] = String(listening['listen']).split(/:(?=\d+$)/);
    this.listen = { host: host!, port: Number(port) };
    this.apiUrl = String(ready['api']);
    return this;
  }

  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#watchers.delete(watcher);
      };
      const watcher = (line: LogLine) => {
        if (!match(line)) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`replica ${this.name}: expected log line not seen:\n${this.#stderr}`));
      }, timeoutMs);
      this.#watchers.add(watcher);
      void this.#exited.then((code) => {
        if (!this.#watchers.has(watcher)) return;
        done();
        reject(new Error(`replica ${this.name} exited (${code}):\n${this.#stderr}`));
      });
    });
  }

  reload(): void {
    this.#child.kill('SIGHUP');
  }

  /** SIGTERM (drain), SIGKILL if it does not exit within 15 s. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
