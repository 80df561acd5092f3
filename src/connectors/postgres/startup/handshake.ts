/**
 * Client startup: SSLRequest (TLS when configured), GSSENCRequest (always refused),
 * CancelRequest, StartupMessage, then the token as a cleartext password.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { GatehouseError } from '../../../core/errors.js';
import {
  authenticationCleartextPassword,
  negotiateProtocolVersion,
  SSL_ACCEPT,
  SSL_REFUSE,
} from '../protocol/backend.js';
import { FrameReader } from '../protocol/frame-reader.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { SocketFrames } from '../protocol/socket-frames.js';
import { MAX_STARTUP_PACKET, PROTOCOL_3_0, parseStartupPacket } from '../protocol/startup.js';
import { BodyReader } from '../protocol/writer.js';

/** Tokens (JWTs) are a few KiB; Entra tokens with many groups stay well under this. */
const MAX_PASSWORD_MESSAGE = 64 * 1024;

export interface HandshakeOptions {
  secureContext?: SecureContext;
  /** Whether a token may be sent over a connection without TLS (loopback listeners only). */
  plaintextAllowed: boolean;
  deadline: AbortSignal;
}

export type HandshakeResult =
  | { kind: 'cancel'; pid: number; secret: Buffer }
  | {
      kind: 'startup';
      socket: Socket;
      frames: SocketFrames;
      tls: boolean;
      params: Map<string, string>;
      token: string;
    };

/** Runs the startup phase on a fresh client socket. Throws GatehouseError for the client to see. */
export async function clientHandshake(
  socket: Socket,
  options: HandshakeOptions,
): Promise<HandshakeResult> {
  const frames = new SocketFrames(socket, new FrameReader(MAX_STARTUP_PACKET, false));
  const { deadline } = options;
  let tls = false;
  let negotiated = false;
  for (;;) {
    await frames.next(deadline);
    const packet = parseStartupPacket(frames.reader.frame());
    if (packet.kind === 'cancel') {
      frames.detach();
      return packet;
    }
    if (packet.kind === 'startup') {
      if (packet.major !== 3) {
        throw new GatehouseError(
          'protocol_violation',
          `unsupported frontend protocol ${packet.major}.${packet.minor}: the gateway supports 3.0`,
        );
      }
      return await login(socket, frames, tls, packet.minor, packet.params, options);
    }
    // SSLRequest / GSSENCRequest. Bytes sent after the request but before the answer would be
    // read as if they came through TLS (CVE-2021-23214); refuse them.
    if (frames.reader.buffered > 0 || negotiated) {
      throw new GatehouseError(
        'protocol_violation',
        'unexpected data during encryption negotiation',
      );
    }
    if (packet.kind === 'ssl' && options.secureContext && !tls) {
      socket.write(SSL_ACCEPT);
      frames.detach();
      socket = await upgrade(socket, options.secureContext, deadline);
      frames.rebind(socket);
      tls = true;
      negotiated = true;
    } else {
      socket.write(SSL_REFUSE);
    }
  }
}

async function upgrade(
  socket: Socket,
  context: SecureContext,
  deadline: AbortSignal,
): Promise<TLSSocket> {
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) =>
      reject(new GatehouseError('protocol_violation', `TLS handshake failed: ${err.message}`));
    secure.once('secure', resolve);
    secure.once('error', fail);
    secure.once('close', () => fail(new Error('connection closed')));
    deadline.addEventListener('abort', () => fail(new Error('timeout')), { once: true });
  });
  return secure;
}

async function login(
  socket: Socket,
  frames: SocketFrames,
  tls: boolean,
  minor: number,
  params: Map<string, string>,
  options: HandshakeOptions,
): Promise<HandshakeResult> {
  if (params.has('replication') && params.get('replication') !== 'false') {
    throw new GatehouseError('protocol_violation', 'replication connections are not supported');
  }
  if (!params.get('user')) {
    throw new GatehouseError(
      'access_denied',
      'no PostgreSQL user name specified in startup packet',
    );
  }
  const unsupported = [...params.keys()].filter((name) => name.startsWith('_pq_.'));
  if (minor > 0 || unsupported.length > 0) {
    socket.write(negotiateProtocolVersion(PROTOCOL_3_0, unsupported));
  }
  if (!tls && !options.plaintextAllowed) {
    throw new GatehouseError('tls_required', 'this gateway accepts tokens only over TLS', {
      hint: 'connect with sslmode=require (or verify-full)',
    });
  }
  socket.write(authenticationCleartextPassword());
  const reader = frames.reader;
  reader.typed = true;
  reader.maxLength = MAX_PASSWORD_MESSAGE;
  await frames.next(options.deadline);
  if (reader.type !== FrontendCode.PasswordMessage) {
    throw new GatehouseError('protocol_violation', 'expected a password message');
  }
  const body = new BodyReader(reader.body());
  const token = body.cstring();
  if (body.remaining !== 0)
    throw new GatehouseError('protocol_violation', 'malformed password message');
  if (token === '') {
    throw new GatehouseError('token_missing', 'a token is required as the password', {
      hint: 'pass an access token from your identity provider as the password',
    });
  }
  return { kind: 'startup', socket, frames, tls, params, token };
}
