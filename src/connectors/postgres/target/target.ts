/**
 * The gateway's own connection to the target PostgreSQL: optional TLS (disable, require,
 * verify-full), startup with the connector's credentials, and SCRAM-SHA-256, MD5, cleartext or
 * trust authentication. https://www.postgresql.org/docs/current/protocol-flow.html
 */
import { readFileSync } from 'node:fs';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import { GatehouseError } from '../../../core/errors.js';
import { readErrorSummary } from '../protocol/errors.js';
import { FrameReader } from '../protocol/frame-reader.js';
import * as fe from '../protocol/frontend.js';
import { BackendCode, SSL_ACCEPTED } from '../protocol/message-codes.js';
import { SocketFrames } from '../protocol/socket-frames.js';
import { BodyReader } from '../protocol/writer.js';
import type { PostgresTargetConfig as TargetConfig } from './config.js';
import { md5Password, SCRAM_SHA_256, ScramClient } from './scram.js';

/** Where and how to log in; the password is resolved by the caller at connect time. */
export interface TargetLogin {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  tls: TargetConfig['tls'];
  /** Startup parameters passed through from the client (application_name, DateStyle, …). */
  params?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

/** A logged-in target session, ready for queries. */
export interface TargetConnection {
  socket: Socket;
  /** Positioned after the first ReadyForQuery; may already hold further bytes. */
  reader: FrameReader;
  /** The target's ParameterStatus messages, as received, to relay to the client. */
  parameterStatus: Buffer[];
  pid: number;
  secret: Buffer;
  tls: boolean;
}

/** Largest message the gateway accepts from the target (PostgreSQL's own 1 GiB field limit). */
const TARGET_MAX_MESSAGE = 0x40000000;

const unavailable = (message: string, detail?: string, cause?: unknown) =>
  new GatehouseError('target_unavailable', message, { detail }, { cause });

export async function connectTarget(login: TargetLogin): Promise<TargetConnection> {
  const deadline = AbortSignal.timeout(login.timeoutMs ?? 10_000);
  const raw = await openSocket(login.host, login.port, deadline);
  try {
    const socket = await negotiateTls(raw, login, deadline);
    return await startup(socket, login, deadline, socket !== raw);
  } catch (err) {
    raw.destroy();
    if (err instanceof GatehouseError) throw err;
    if (deadline.aborted) throw unavailable('timed out connecting to the target', undefined, err);
    throw unavailable('could not connect to the target', (err as Error).message, err);
  }
}

/** Sends a CancelRequest for the target's backend key; resolves when the target hangs up. */
export async function cancelOnTarget(
  login: Pick<TargetLogin, 'host' | 'port' | 'tls'>,
  pid: number,
  secret: Buffer,
): Promise<void> {
  const deadline = AbortSignal.timeout(5_000);
  const raw = await openSocket(login.host, login.port, deadline);
  const socket = await negotiateTls(raw, login, deadline).catch((err) => {
    raw.destroy();
    throw err;
  });
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
    deadline.addEventListener('abort', () => socket.destroy(), { once: true });
    socket.end(fe.cancelRequest(pid, secret));
  });
}

function openSocket(host: string, port: number, deadline: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, noDelay: true });
    const fail = (err: Error) => {
      socket.destroy();
      reject(unavailable('could not connect to the target', err.message, err));
    };
    const onAbort = () => fail(new Error('connect timeout'));
    deadline.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      deadline.removeEventListener('abort', onAbort);
      resolve(socket);
    });
  });
}

function tlsMode(tls: TargetConfig['tls']): { mode: string; ca?: string; servername?: string } {
  return typeof tls === 'string' ? { mode: tls } : tls;
}

async function negotiateTls(
  socket: Socket,
  login: Pick<TargetLogin, 'host' | 'tls'>,
  deadline: AbortSignal,
): Promise<Socket> {
  const { mode, ca, servername } = tlsMode(login.tls);
  if (mode === 'disable') return socket;
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const cleanup = () => {
      socket.off('data', onData).off('error', onError).off('close', onClose);
      deadline.removeEventListener('abort', onClose);
    };
    const onData = (chunk: Buffer) => {
      cleanup();
      socket.pause();
      resolve(chunk);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => onError(new Error('target closed during SSLRequest'));
    socket.on('data', onData).on('error', onError).on('close', onClose);
    deadline.addEventListener('abort', onClose, { once: true });
    socket.write(fe.sslRequest());
  });
  // More than the single answer byte would be bytes injected before the TLS handshake.
  if (answer.length !== 1 || answer[0] !== SSL_ACCEPTED) {
    throw unavailable('the target does not accept TLS connections');
  }
  const name = servername ?? login.host;
  const caPem = ca && !ca.includes('-----BEGIN') ? readFileSync(ca, 'utf8') : ca;
  const verify = mode === 'verify-full';
  const secure = tlsConnect({
    socket,
    servername: isIP(name) ? undefined : name,
    ca: caPem,
    rejectUnauthorized: verify,
    checkServerIdentity: verify
      ? (_host, cert) => checkServerIdentity(name, cert)
      : () => undefined,
  });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', (err) =>
      reject(unavailable('TLS handshake with the target failed', err.message, err)),
    );
    deadline.addEventListener('abort', () => reject(new Error('timeout')), { once: true });
  });
  return secure;
}

async function startup(
  socket: Socket,
  login: TargetLogin,
  deadline: AbortSignal,
  tls: boolean,
): Promise<TargetConnection> {
  const frames = new SocketFrames(socket, new FrameReader(TARGET_MAX_MESSAGE));
  const { reader } = frames;
  socket.write(fe.startupMessage({ ...login.params, user: login.user, database: login.database }));
  const parameterStatus: Buffer[] = [];
  let key: { pid: number; secret: Buffer } | undefined;
  let scram: ScramClient | undefined;
  try {
    for (;;) {
      await frames.next(deadline);
      const type = reader.type;
      const body = reader.body();
      if (type === BackendCode.Authentication) {
        scram = await authenticate(socket, login, new BodyReader(body), scram);
      } else if (type === BackendCode.ParameterStatus) {
        parameterStatus.push(Buffer.from(reader.frame()));
      } else if (type === BackendCode.BackendKeyData) {
        const fields = new BodyReader(body);
        key = { pid: fields.int32(), secret: Buffer.from(fields.bytes(fields.remaining)) };
      } else if (type === BackendCode.ReadyForQuery) {
        if (!key) throw unavailable('the target sent no BackendKeyData');
        return { socket, reader, parameterStatus, tls, ...key };
      } else if (type === BackendCode.ErrorResponse) {
        const { code, message } = readErrorSummary(body);
        throw unavailable('the target refused the gateway login', `${code}: ${message}`);
      } else if (
        type !== BackendCode.NoticeResponse &&
        type !== BackendCode.NegotiateProtocolVersion
      ) {
        throw unavailable(
          `unexpected message "${String.fromCharCode(type)}" from the target during login`,
        );
      }
    }
  } finally {
    frames.detach();
  }
}

/** Answers one Authentication* request; returns the SCRAM state while an exchange runs. */
async function authenticate(
  socket: Socket,
  login: TargetLogin,
  body: BodyReader,
  scram: ScramClient | undefined,
): Promise<ScramClient | undefined> {
  const code = body.int32();
  const password = () => {
    if (login.password === undefined) {
      throw unavailable('the target asks for a password but the connector has none configured');
    }
    return login.password;
  };
  switch (code) {
    case 0: // AuthenticationOk
      return undefined;
    case 3: // AuthenticationCleartextPassword
      socket.write(fe.passwordMessage(password()));
      return undefined;
    case 5: // AuthenticationMD5Password
      socket.write(fe.passwordMessage(md5Password(login.user, password(), body.bytes(4))));
      return undefined;
    case 10: {
      // AuthenticationSASL: list of mechanisms
      const mechanisms: string[] = [];
      for (let name = body.cstring(); name !== ''; name = body.cstring()) mechanisms.push(name);
      if (!mechanisms.includes(SCRAM_SHA_256)) {
        throw unavailable(
          `the target offers no supported SASL mechanism (${mechanisms.join(', ')})`,
        );
      }
      const client = new ScramClient(password());
      socket.write(fe.saslInitialResponse(SCRAM_SHA_256, client.first()));
      return client;
    }
    case 11: // AuthenticationSASLContinue
      if (!scram) throw unavailable('unexpected SASL continuation from the target');
      socket.write(fe.saslResponse(await scram.final(body.bytes(body.remaining).toString())));
      return scram;
    case 12: // AuthenticationSASLFinal
      if (!scram) throw unavailable('unexpected SASL final message from the target');
      scram.verify(body.bytes(body.remaining).toString());
      return undefined;
    default:
      throw unavailable(`the target asks for an unsupported authentication method (${code})`);
  }
}
