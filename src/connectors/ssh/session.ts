/**
 * One authenticated SSH client connection: each channel request (exec, shell, subsystem,
 * forwarding) becomes a Command the gate checks; permitted requests run on the target over the
 * gateway's own connection, with their terminal recorded (asciicast v2) into the outcome.
 */
import type {
  ClientChannel,
  Connection,
  PseudoTtyInfo,
  ServerChannel,
  Session,
  Client as SshClient,
} from 'ssh2';
import { TerminalRecorder } from '../../audit/record/terminal-recorder.js';
import type { Command, CommandOutcome } from '../../core/command.js';
import type { ConnectorDeps } from '../../core/connector.js';
import { GatehouseError, toGatehouseError } from '../../core/errors.js';
import type { GateSession, Permit } from '../../core/gate.js';
import { execCommand, forwardCommand, shellCommand, subsystemCommand } from './command.js';
import { renderSshError } from './errors.js';
import { hostKeyBlobs, sshConfig } from './target/config.js';
import { connectTarget, type TargetLogin } from './target/target-client.js';
import { signCertificate } from './target/user-certificate.js';

/** How long a session's target certificate is valid: it is used once, to log in. */
const CERTIFICATE_TTL_MS = 60_000;

/** The exit status a refused request ends with (as a shell reports "cannot execute"). */
export const REFUSED_EXIT_STATUS = 126;
/** The exit status when the target cannot be reached (as `ssh` itself reports it). */
export const TARGET_FAILED_EXIT_STATUS = 255;

export interface SshSessionOptions {
  deps: ConnectorDeps;
  connector: string;
  client: Connection;
  gateSession: GateSession;
  login: string;
}

type Pty = PseudoTtyInfo;

export class SshSession {
  readonly gateSession: GateSession;
  readonly closed: Promise<void>;
  readonly #options: SshSessionOptions;
  #target: Promise<SshClient> | undefined;
  #targetClient: SshClient | undefined;
  /** Requests still running: each records its outcome so far when the client disconnects. */
  readonly #running = new Set<() => void>();

  constructor(options: SshSessionOptions) {
    this.#options = options;
    this.gateSession = options.gateSession;
    const { client } = options;
    this.closed = new Promise((resolve) => {
      client.on('close', () => {
        // Outcomes first (a dropped shell keeps its recording), then the session's end.
        for (const disconnect of [...this.#running]) disconnect();
        this.#targetClient?.end();
        void this.gateSession.close('client disconnected').then(resolve, resolve);
      });
    });
    client.on('session', (accept) => this.#session(accept()));
    client.on('tcpip', (accept, reject, info) => {
      void this.#forward(accept, reject, info.destIP, info.destPort, info.srcIP, info.srcPort);
    });
    client.on('request', (_accept, reject, name) => {
      // Remote forwarding (`ssh -R`) and stream-local forwarding are not offered.
      void this.#recordRefusal(forwardCommand('remote_forward', name, this.#scope));
      reject?.();
    });
  }

  get #scope() {
    const live = sshConfig(this.#options.deps.gate.connectorConfig(this.#options.connector));
    return { host: live.target.host, login: this.#options.login };
  }

  /** The gateway's connection to the target, opened on the first permitted request. */
  #targetConnection(): Promise<SshClient> {
    this.#target ??= (async () => {
      const { deps, connector, login } = this.#options;
      const live = sshConfig(deps.gate.connectorConfig(connector));
      const { private_key: key, user_ca: ca } = live.target;
      let credential: TargetLogin['credential'];
      if (key) credential = { privateKey: deps.secret(key) };
      else if (ca) {
        const identity = this.gateSession.identity;
        credential = {
          certificate: signCertificate({
            caKey: deps.secret(ca),
            principals: [login],
            keyId: `gatehouse session ${this.gateSession.id} for ${identity.subject}`,
            ttlMs: CERTIFICATE_TTL_MS,
            extensions: ['permit-pty', 'permit-port-forwarding'],
          }),
        };
      } else {
        throw new GatehouseError(
          'target_unavailable',
          'the connector has no credential for the target',
        );
      }
      const hostKeys = hostKeyBlobs(live.target, deps.secret);
      const client = await connectTarget({ target: live.target, hostKeys, login, credential });
      this.#targetClient = client;
      client.on('close', () => {
        this.#target = undefined;
        this.#targetClient = undefined;
      });
      return client;
    })();
    this.#target.catch(() => {
      this.#target = undefined;
    });
    return this.#target;
  }

  #session(session: Session): void {
    let pty: Pty | undefined;
    let running: ClientChannel | undefined;
    let recorder: TerminalRecorder | undefined;
    session.on('pty', (accept, _reject, info) => {
      pty = info;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (pty)
        Object.assign(pty, {
          cols: info.cols,
          rows: info.rows,
          width: info.width,
          height: info.height,
        });
      running?.setWindow(info.rows, info.cols, info.height, info.width);
      recorder?.resize(info.cols, info.rows);
      accept?.();
    });
    // Environment variables are not passed on (LD_PRELOAD, PATH… would change what runs).
    session.on('env', (_accept, reject) => reject?.());
    session.on('auth-agent', (_accept, reject) => {
      void this.#recordRefusal(forwardCommand('agent_forward', '', this.#scope));
      reject?.();
    });
    session.on('x11', (_accept, reject) => {
      void this.#recordRefusal(forwardCommand('x11_forward', '', this.#scope));
      reject?.();
    });
    session.on('signal', (accept, _reject, info) => {
      running?.signal(info.name);
      accept?.();
    });
    const started = (channel: ClientChannel, rec: TerminalRecorder | undefined) => {
      running = channel;
      recorder = rec;
    };
    session.on('exec', (accept, _reject, info) => {
      const channel = accept();
      void this.#run(channel, execCommand(info.command, this.#scope), pty, started);
    });
    session.on('shell', (accept) => {
      const channel = accept();
      void this.#run(channel, shellCommand(this.#scope, pty?.term), pty, started);
    });
    session.on('subsystem', (accept, _reject, info) => {
      const channel = accept();
      void this.#run(channel, subsystemCommand(info.name, this.#scope), pty, started);
    });
  }

  /** Gate, then run on the target, relay, record, complete. */
  async #run(
    channel: ServerChannel,
    command: Command,
    pty: Pty | undefined,
    started: (channel: ClientChannel, recorder: TerminalRecorder | undefined) => void,
  ): Promise<void> {
    const { deps } = this.#options;
    const waiting = new AbortController();
    channel.on('close', () => waiting.abort());
    let permit: Permit;
    try {
      permit = await this.gateSession.check(command, {
        signal: waiting.signal,
        onPending: (ticketId, url) => {
          channel.stderr.write(`gatehouse: held for review (ticket ${ticketId}): ${url}\r\n`);
        },
      });
    } catch (err) {
      this.#refuse(channel, err, REFUSED_EXIT_STATUS);
      return;
    }
    const kind = command.classes[0];
    if (permit.text !== command.text && kind === 'exec') {
      channel.stderr.write(
        `gatehouse: a reviewer changed the command; running: ${permit.text}\r\n`,
      );
    }
    let target: SshClient;
    let remote: ClientChannel;
    try {
      target = await this.#targetConnection();
      remote = await open(target, kind, permit.text, command, pty);
    } catch (err) {
      const error = toGatehouseError(err);
      deps.logger.warn({ err, detail: error.details.detail }, 'target request failed');
      this.gateSession.complete(permit, { error: { message: error.message } });
      this.#refuse(channel, error, TARGET_FAILED_EXIT_STATUS);
      return;
    }
    const limits = this.gateSession.captureLimits;
    const recorder =
      limits && kind !== 'sftp' && kind !== 'subsystem'
        ? new TerminalRecorder({ limits, width: pty?.cols, height: pty?.rows })
        : undefined;
    started(remote, recorder);
    const disconnect = relay(channel, remote, recorder, (outcome) => {
      this.#running.delete(disconnect);
      this.gateSession.complete(permit, outcome);
    });
    this.#running.add(disconnect);
  }

  #refuse(channel: ServerChannel, err: unknown, status: number): void {
    const error = toGatehouseError(err);
    if (channel.destroyed || !channel.writable) return;
    channel.stderr.write(renderSshError(error));
    channel.exit(status);
    channel.end();
  }

  /** Records a request that is refused whatever the rules say (it is never forwarded). */
  async #recordRefusal(command: Command): Promise<void> {
    try {
      const permit = await this.gateSession.check(command);
      this.gateSession.complete(permit, {
        error: { message: 'refused: this build does not forward it' },
      });
    } catch {
      // Denied (and recorded) by policy: refused either way.
    }
  }

  /** `direct-tcpip`: forwarded only when a rule (not the default) allows it. */
  async #forward(
    accept: () => ServerChannel,
    reject: () => void,
    destIP: string,
    destPort: number,
    srcIP: string,
    srcPort: number,
  ): Promise<void> {
    const command = forwardCommand('port_forward', `${destIP}:${destPort}`, this.#scope);
    let permit: Permit;
    try {
      permit = await this.gateSession.check(command);
    } catch {
      reject();
      return;
    }
    if (permit.decision.rule === undefined) {
      this.gateSession.complete(permit, {
        error: { message: 'port forwarding needs a rule that allows it' },
      });
      reject();
      return;
    }
    try {
      const target = await this.#targetConnection();
      const remote = await new Promise<ClientChannel>((resolve, fail) =>
        target.forwardOut(srcIP, srcPort, destIP, destPort, (err, ch) =>
          err ? fail(err) : resolve(ch),
        ),
      );
      const channel = accept();
      channel.pipe(remote).pipe(channel);
      let done = false;
      const finish = (tag: string) => {
        if (done) return;
        done = true;
        this.#running.delete(disconnect);
        this.gateSession.complete(permit, { tag });
      };
      const disconnect = () => finish('client disconnected');
      this.#running.add(disconnect);
      channel.on('close', () => remote.close());
      remote.on('close', () => {
        finish('forward closed');
        channel.end();
      });
    } catch (err) {
      this.gateSession.complete(permit, { error: { message: toGatehouseError(err).message } });
      reject();
    }
  }
}

/** Opens the permitted request on the target. */
function open(
  target: SshClient,
  kind: string | undefined,
  text: string,
  command: Command,
  pty: Pty | undefined,
): Promise<ClientChannel> {
  const window = pty && {
    term: pty.term,
    cols: pty.cols,
    rows: pty.rows,
    width: pty.width,
    height: pty.height,
    modes: pty.modes,
  };
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, channel: ClientChannel) =>
      err
        ? reject(
            new GatehouseError(
              'target_unavailable',
              `the target refused the request: ${err.message}`,
            ),
          )
        : resolve(channel);
    if (kind === 'exec') target.exec(text, window ? { pty: window } : {}, done);
    else if (kind === 'shell') target.shell(window ?? false, done);
    else {
      const name = command.text.replace(/^subsystem /, '');
      target.subsys(name, done);
    }
  });
}

/** Relays both directions, records the terminal, and reports the outcome once the target closes. */
function relay(
  channel: ServerChannel,
  remote: ClientChannel,
  recorder: TerminalRecorder | undefined,
  complete: (outcome: Omit<CommandOutcome, 'durationMs'>) => void,
): () => void {
  let status: number | undefined;
  let signal: string | undefined;
  if (recorder) {
    channel.on('data', (data: Buffer) => recorder.input(data));
    remote.on('data', (data: Buffer) => recorder.output(data));
    remote.stderr.on('data', (data: Buffer) => recorder.output(data));
  }
  channel.pipe(remote);
  remote.pipe(channel, { end: false });
  remote.stderr.pipe(channel.stderr, { end: false });
  let exited: (() => void) | undefined;
  remote.on('exit', (code: number | null, signalName?: string) => {
    if (code === null || code === undefined) signal = signalName;
    else status = code;
    exited?.();
  });
  let done = false;
  const finish = (disconnected = false) => {
    if (done) return;
    done = true;
    if (!disconnected) {
      if (signal !== undefined) channel.exit(signal.replace(/^SIG/, ''));
      else if (status !== undefined) channel.exit(status);
      channel.end();
    }
    recorder?.exit(status, signal);
    const ended =
      signal !== undefined
        ? `signal ${signal}`
        : status !== undefined
          ? `exit ${status}`
          : undefined;
    complete({
      tag: ended ?? (disconnected ? 'client disconnected' : 'exit unknown'),
      ...(recorder && { result: recorder.result() }),
    });
  };
  remote.on('close', () => {
    if (status !== undefined || signal !== undefined) {
      finish();
      return;
    }
    // The exit status can trail the close by a moment; wait briefly for it.
    const timer = setTimeout(() => finish(), 250);
    exited = () => {
      clearTimeout(timer);
      finish();
    };
  });
  channel.on('close', () => remote.close());
  return () => finish(true);
}
