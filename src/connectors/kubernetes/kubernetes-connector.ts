/**
 * The Kubernetes listener: an HTTPS (HTTP/1.1) endpoint that kubectl and client libraries use
 * as their API server. Each request: bearer token → identity (Authenticator), classification
 * (classify/), `GateSession.check` (allow / deny / held for review), then forwarding to the
 * real API server with the gateway's own credentials, the client's `Impersonate-*` headers
 * stripped and, when configured, the caller impersonated. Responses stream through with
 * backpressure; upgraded streams (exec, attach, port-forward) are proxied after the check.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CapturedExchange, CaptureLimits, CommandOutcome } from '../../core/command.js';
import type { Connector, ConnectorDeps } from '../../core/connector.js';
import { GatehouseError, toGatehouseError } from '../../core/errors.js';
import type { GateSession, Permit } from '../../core/gate.js';
import type { Identity } from '../../core/identity.js';
import { kubeCommand } from './classify/command.js';
import { podPrivileges } from './classify/pod-privilege.js';
import { type RequestInfo, requestInfo } from './classify/request-info.js';
import { maskSecrets, maskSecretsText } from './masking/secrets.js';
import { kubeStatus } from './protocol/status.js';
import { isChannelWebSocket, TerminalCapture } from './protocol/stream-capture.js';
import type { KubernetesTargetConfig } from './target/config.js';

/** Largest request body accepted (create/update/patch), unless `max_message_bytes` says. */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Largest non-streamed Secret response masked in memory. */
const MAX_MASKED_BYTES = 64 * 1024 * 1024;
/**
 * How long a reviewer's refusal of a stream is repeated without a new ticket: kubectl retries a
 * refused WebSocket exec over SPDY at once, and that retry must not open a second review.
 */
const REFUSAL_REPEAT_MS = 30_000;
/** How long a pod's privileges, read for an exec/attach check, are reused. */
const POD_CACHE_MS = 5_000;

/** Request headers never forwarded: hop-by-hop, the client's credentials, impersonation. */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'content-length',
  'accept-encoding',
  'expect',
]);
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'trailer',
  'upgrade',
]);

/** The gate sessions of one client connection (one per identity that used it). */
interface SocketSessions {
  readonly sessions: Map<string, Promise<GateSession>>;
  inflight: number;
  gone: boolean;
}

interface Upstream {
  readonly url: URL;
  readonly agent: https.Agent;
}

export function createKubernetesConnector(deps: ConnectorDeps): Connector {
  const { config, gate, authenticator, logger } = deps;
  const target = config.target as KubernetesTargetConfig;
  const maxBody = config.max_message_bytes ?? DEFAULT_MAX_BODY_BYTES;
  const exemptGroups = new Set(target.secrets_exempt_groups);
  const sessionsBySocket = new Map<Socket, SocketSessions>();
  const upgraded = new Set<Socket>();
  const podCache = new Map<string, { at: number; reasons: string[] }>();
  const refusedStreams = new Map<string, { at: number; error: GatehouseError }>();
  let server: https.Server | undefined;
  let upstream: Upstream | undefined;
  let openSessions = 0;

  const listenerTls = () => {
    if (config.tls) return { cert: deps.secret(config.tls.cert), key: deps.secret(config.tls.key) };
    if (deps.tls) return deps.tls;
    throw new TypeError(
      `connector "${config.name}": a kubernetes listener needs TLS (its own tls: or server.tls)`,
    );
  };

  /**
   * The sessions of one client connection, closed once the connection is gone and every
   * request on it has recorded its outcome (an upgraded stream completes on that same close).
   */
  function socketState(socket: Socket): SocketSessions {
    let state = sessionsBySocket.get(socket);
    if (!state) {
      const created: SocketSessions = { sessions: new Map(), inflight: 0, gone: false };
      state = created;
      sessionsBySocket.set(socket, created);
      socket.once('close', () => {
        created.gone = true;
        if (created.inflight === 0) closeSessions(socket, created);
      });
    }
    return state;
  }

  function closeSessions(socket: Socket, state: SocketSessions): void {
    sessionsBySocket.delete(socket);
    for (const pending of state.sessions.values()) {
      pending
        .then((session) => {
          openSessions--;
          return session.close('connection closed');
        })
        .catch(() => {});
    }
  }

  /** Marks a request in flight on its connection; call the result once its outcome is recorded. */
  function inFlight(socket: Socket): () => void {
    const state = socketState(socket);
    state.inflight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.inflight--;
      if (state.gone && state.inflight === 0) setImmediate(() => closeSessions(socket, state));
    };
  }

  function sessionFor(socket: Socket, identity: Identity): Promise<GateSession> {
    const sessions = socketState(socket).sessions;
    const key = `${identity.issuer}\n${identity.subject}`;
    let session = sessions.get(key);
    if (!session) {
      const opening = gate
        .openSession(
          config.name,
          'kubernetes',
          identity,
          { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort, tls: true },
          { cluster: target.server },
        )
        .then((opened) => {
          openSessions++;
          return opened;
        });
      const own = sessions;
      opening.catch(() => own.delete(key));
      sessions.set(key, opening);
      session = opening;
    }
    return session;
  }

  async function authenticate(headers: IncomingHttpHeaders): Promise<Identity> {
    const header = headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new GatehouseError('token_missing', 'a bearer token is required', {
        hint: 'run `gatehouse kubeconfig <connector>` and use that kubeconfig',
      });
    }
    return authenticator.authenticate(match[1]!);
  }

  /** Headers for the API server: the client's, minus credentials and impersonation, plus ours. */
  function upstreamHeaders(
    incoming: IncomingHttpHeaders,
    identity: Identity,
    options: { upgrade?: boolean; bodyLength?: number; json?: boolean },
  ): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(incoming)) {
      const lower = name.toLowerCase();
      if (value === undefined || DROPPED_REQUEST_HEADERS.has(lower)) continue;
      if (lower.startsWith('impersonate-') || lower.startsWith('x-remote-')) continue;
      headers[lower] = value;
    }
    if (options.upgrade && incoming.upgrade) {
      headers['connection'] = 'Upgrade';
      headers['upgrade'] = incoming.upgrade;
    }
    if (options.bodyLength !== undefined) headers['content-length'] = String(options.bodyLength);
    if (options.json) headers['accept'] = jsonOnly(incoming.accept);
    headers['accept-encoding'] = 'identity';
    if (target.token) headers['authorization'] = `Bearer ${deps.secret(target.token).trim()}`;
    if (target.impersonate) {
      headers['impersonate-user'] = identity.subject;
      const groups = identity.groups.map((group) => `${target.group_prefix}${group}`);
      if (groups.length > 0) headers['impersonate-group'] = groups;
    }
    return headers;
  }

  function upstreamRequest(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
  ): import('node:http').ClientRequest {
    const up = upstream!;
    const prefix = up.url.pathname.replace(/\/+$/, '');
    return https.request({
      protocol: 'https:',
      hostname: up.url.hostname.replace(/^\[|\]$/g, ''),
      port: up.url.port || 443,
      method,
      path: `${prefix}${path}`,
      headers: { ...headers, host: up.url.host },
      agent: up.agent,
    });
  }

  /** Why the pod an exec/attach opens counts as privileged (empty: it does not). */
  async function privilegesOf(namespace: string, name: string): Promise<string[]> {
    const key = `${namespace}/${name}`;
    const cached = podCache.get(key);
    if (cached && Date.now() - cached.at < POD_CACHE_MS) return cached.reasons;
    const headers: OutgoingHttpHeaders = { accept: 'application/json' };
    if (target.token) headers['authorization'] = `Bearer ${deps.secret(target.token).trim()}`;
    let reasons: string[];
    try {
      const request = upstreamRequest(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
        headers,
      );
      request.end();
      const [response] = (await once(request, 'response')) as [IncomingMessage];
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      reasons =
        response.statusCode === 200
          ? podPrivileges(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          : [`the pod could not be read (status ${response.statusCode})`];
    } catch (err) {
      logger.warn({ err, pod: key }, 'could not read the pod for an exec/attach check');
      reasons = ['the pod could not be read'];
    }
    podCache.set(key, { at: Date.now(), reasons });
    return reasons;
  }

  /** Classifies a request and asks the gate; resolves with what to forward. */
  async function admit(
    req: IncomingMessage,
    socket: Socket,
    body: Buffer | undefined,
    signal: AbortSignal,
  ): Promise<{ session: GateSession; identity: Identity; info: RequestInfo; permit: Permit }> {
    const identity = await authenticate(req.headers);
    const session = await sessionFor(socket, identity);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const info = requestInfo(method, url);
    let privileged: boolean | undefined;
    if (
      info.kind === 'resource' &&
      (info.subresource === 'exec' || info.subresource === 'attach') &&
      info.resource === 'pods' &&
      info.namespace !== undefined &&
      info.name !== undefined
    ) {
      // Unknown (unreadable pod) counts as privileged: fail closed.
      privileged = (await privilegesOf(info.namespace, info.name)).length > 0;
    }
    let shown = body?.toString('utf8');
    if (shown !== undefined && isCoreSecrets(info)) shown = maskSecretsText(shown);
    const command = kubeCommand(info, method, url, {
      ...(privileged !== undefined && { privileged }),
      ...(shown !== undefined && shown !== '' && { body: shown }),
    });
    const permit = await session.check(command, {
      signal,
      onPending: (ticketId, ticketUrl) =>
        logger.info({ ticket: ticketId, url: ticketUrl, request: command.text }, 'request held'),
    });
    if (permit.text !== command.text) {
      const error = 'the reviewer changed the request; a Kubernetes request is forwarded as sent';
      session.complete(permit, { error: { message: error } });
      throw new GatehouseError('policy_denied', error, {
        ...(permit.ticketId !== undefined && { ticketId: permit.ticketId }),
        hint: 'send the changed request yourself',
      });
    }
    if (info.kind === 'malformed') {
      session.complete(permit, { error: { message: info.reason } });
      throw new GatehouseError('invalid_request', `the request could not be classified`, {
        detail: info.reason,
      });
    }
    return { session, identity, info, permit };
  }

  function isCoreSecrets(info: RequestInfo): boolean {
    return info.kind === 'resource' && info.resource === 'secrets' && info.apiGroup === '';
  }

  function mustMask(info: RequestInfo, identity: Identity): boolean {
    return isCoreSecrets(info) && !identity.groups.some((group) => exemptGroups.has(group));
  }

  function sendStatus(res: import('node:http').ServerResponse, err: unknown): void {
    const error = toGatehouseError(err);
    if (error.code === 'internal') logger.error({ err }, 'kubernetes request failed');
    const status = kubeStatus(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify(status);
    res.writeHead(status.code, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  }

  async function handle(
    req: IncomingMessage,
    res: import('node:http').ServerResponse,
  ): Promise<void> {
    const release = inFlight(req.socket);
    try {
      await forwardRequest(req, res);
    } finally {
      release();
    }
  }

  async function forwardRequest(
    req: IncomingMessage,
    res: import('node:http').ServerResponse,
  ): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let admitted: Awaited<ReturnType<typeof admit>>;
    let body: Buffer | undefined;
    try {
      body = await readBody(req, maxBody);
      admitted = await admit(req, req.socket, body, abort.signal);
    } catch (err) {
      sendStatus(res, err);
      return;
    }
    const { session, identity, info, permit } = admitted;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const masking = mustMask(info, identity);
    const capture = new ExchangeCapture(method, url, session.captureLimits);
    let outcome: Omit<CommandOutcome, 'durationMs'> | undefined;
    const finish = (fallback: Omit<CommandOutcome, 'durationMs'>) => {
      session.complete(permit, { ...(outcome ?? fallback), result: capture.result() });
    };
    try {
      const request = upstreamRequest(
        method,
        url,
        upstreamHeaders(req.headers, identity, {
          ...(body !== undefined && { bodyLength: body.length }),
          json: masking,
        }),
      );
      abort.signal.addEventListener('abort', () => request.destroy(), { once: true });
      request.end(body);
      const [response] = (await once(request, 'response')) as [IncomingMessage];
      const status = response.statusCode ?? 502;
      capture.status = status;
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) headers[name] = value;
      }
      const isWatch = info.kind === 'resource' && info.verb === 'watch';
      if (masking) {
        delete headers['content-length'];
        if (!String(response.headers['content-type'] ?? '').includes('json')) {
          response.destroy();
          throw new GatehouseError(
            'internal',
            'the API server answered a Secret read in a form that cannot be masked',
          );
        }
      }
      res.writeHead(status, headers);
      res.flushHeaders();
      const stages: Transform[] = [];
      if (masking) stages.push(isWatch ? maskLines() : maskWhole());
      stages.push(capture.tap());
      await pipeline(response, ...stages, res);
      outcome = outcomeOf(status, capture);
      finish(outcome);
    } catch (err) {
      const error = toGatehouseError(
        err instanceof GatehouseError
          ? err
          : new GatehouseError(
              'target_unavailable',
              'the API server could not be reached',
              {},
              {
                cause: err,
              },
            ),
      );
      if (abort.signal.aborted) {
        finish({
          ...(capture.status !== undefined && { tag: String(capture.status) }),
          error: { message: 'the client went away' },
        });
        return;
      }
      logger.warn({ err, request: `${method} ${url}` }, 'forwarding failed');
      finish({ error: { message: error.message } });
      sendStatus(res, error);
    }
  }

  async function handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const release = inFlight(socket);
    try {
      await forwardUpgrade(req, socket, head, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Proxies one upgrade; calls `release` once its outcome is recorded (or it never ran). */
  async function forwardUpgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    release: () => void,
  ): Promise<void> {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    const abort = new AbortController();
    socket.once('close', () => abort.abort());
    // Same caller (token), same stream request: the fallback retry of a reviewed refusal.
    const streamKey = createHash('sha256')
      .update(`${req.headers.authorization ?? ''}\n${req.url ?? ''}`)
      .digest('hex');
    const now = Date.now();
    for (const [key, refusal] of refusedStreams) {
      if (now - refusal.at > REFUSAL_REPEAT_MS) refusedStreams.delete(key);
    }
    const refused = refusedStreams.get(streamKey);
    if (refused) {
      logger.info({ ticket: refused.error.details.ticketId }, 'repeating a reviewed refusal');
      writeRawStatus(socket, refused.error);
      release();
      return;
    }
    let admitted: Awaited<ReturnType<typeof admit>>;
    try {
      admitted = await admit(req, socket, undefined, abort.signal);
    } catch (err) {
      if (err instanceof GatehouseError && err.details.ticketId !== undefined) {
        refusedStreams.set(streamKey, { at: Date.now(), error: err });
      }
      writeRawStatus(socket, err);
      release();
      return;
    }
    const { session, identity, permit } = admitted;
    const startedAt = Date.now();
    try {
      const request = upstreamRequest(
        req.method ?? 'GET',
        req.url ?? '/',
        upstreamHeaders(req.headers, identity, { upgrade: true }),
      );
      request.end();
      request.once('response', (response: IncomingMessage) => {
        // The API server refused the upgrade (RBAC, no such pod): relay its answer.
        const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage ?? ''}`];
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          const name = response.rawHeaders[i]!;
          if (DROPPED_RESPONSE_HEADERS.has(name.toLowerCase())) continue;
          lines.push(`${name}: ${response.rawHeaders[i + 1]}`);
        }
        lines.push('connection: close', '', '');
        socket.write(lines.join('\r\n'));
        response.pipe(socket);
        session.complete(permit, {
          tag: String(response.statusCode),
          error: {
            code: String(response.statusCode),
            message: 'the API server refused the stream',
          },
        });
        release();
      });
      request.once('upgrade', (response: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
        const lines = [`HTTP/1.1 101 ${response.statusMessage ?? 'Switching Protocols'}`];
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
        }
        lines.push('', '');
        socket.write(lines.join('\r\n'));
        if (upHead.length > 0) socket.write(upHead);
        if (head.length > 0) upSocket.write(head);
        upSocket.on('error', () => socket.destroy());
        // What the terminal showed, for the audit record (WebSocket channel protocols only).
        const limits = session.captureLimits;
        const subprotocol = response.headers['sec-websocket-protocol'];
        const capture =
          limits && isChannelWebSocket(typeof subprotocol === 'string' ? subprotocol : undefined)
            ? new TerminalCapture(limits)
            : undefined;
        if (capture) {
          if (upHead.length > 0) capture.fromServer.push(upHead);
          if (head.length > 0) capture.fromClient.push(head);
          socket.on('data', (chunk: Buffer) => capture.fromClient.push(chunk));
          upSocket.on('data', (chunk: Buffer) => capture.fromServer.push(chunk));
        }
        socket.pipe(upSocket);
        upSocket.pipe(socket);
        let done = false;
        const end = () => {
          if (done) return;
          done = true;
          upSocket.destroy();
          socket.destroy();
          session.complete(permit, {
            tag: `101 stream, ${Math.round((Date.now() - startedAt) / 1000)} s`,
            ...(capture && { result: capture.result() }),
          });
          release();
        };
        upSocket.once('close', end);
        socket.once('close', end);
      });
      request.once('error', (err) => {
        logger.warn({ err }, 'upgrade to the API server failed');
        session.complete(permit, { error: { message: 'the API server could not be reached' } });
        release();
        writeRawStatus(
          socket,
          new GatehouseError('target_unavailable', 'the API server could not be reached'),
        );
      });
    } catch (err) {
      session.complete(permit, { error: { message: String(err) } });
      release();
      writeRawStatus(socket, err);
    }
  }

  function writeRawStatus(socket: Socket, err: unknown): void {
    const status = kubeStatus(toGatehouseError(err));
    const body = JSON.stringify(status);
    if (!socket.writable) return;
    socket.end(
      `HTTP/1.1 ${status.code} ${status.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  return {
    name: config.name,
    type: config.type,
    async start() {
      if (config.masking.length > 0) {
        // Column masking rules have no columns to act on here; refuse rather than ignore them.
        throw new TypeError(
          `connector "${config.name}": masking rules do not apply to kubernetes (Secret data is masked; see docs/kubernetes.md)`,
        );
      }
      const tls = listenerTls();
      const url = new URL(target.server);
      const clientCert = target.client_cert && deps.secret(target.client_cert);
      const clientKey = target.client_key && deps.secret(target.client_key);
      upstream = {
        url,
        agent: new https.Agent({
          keepAlive: true,
          ...(target.ca && { ca: deps.secret(target.ca) }),
          ...(clientCert && { cert: clientCert }),
          ...(clientKey && { key: clientKey }),
        }),
      };
      server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
        void handle(req, res);
      });
      // A held request may wait for a reviewer well past Node's default request timeout.
      server.requestTimeout = 0;
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        void handleUpgrade(req, socket, head);
      });
      server.on('tlsClientError', (err) => logger.debug({ err }, 'TLS handshake failed'));
      server.listen(config.listen.port, config.listen.host);
      await once(server, 'listening');
    },
    address() {
      const address = server?.address();
      if (!address || typeof address === 'string') {
        return { host: config.listen.host, port: config.listen.port };
      }
      return { host: address.address, port: address.port };
    },
    async stop(drainMs = 10_000) {
      const current = server;
      if (!current) return;
      server = undefined;
      const closed = new Promise<void>((resolve) => current.close(() => resolve()));
      current.closeIdleConnections();
      const timer = setTimeout(() => {
        current.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, drainMs);
      await closed;
      clearTimeout(timer);
      upstream?.agent.destroy();
    },
    sessionCount: () => openSessions,
  };
}

/** The client's Accept without protobuf (the masker reads JSON), or plain JSON. */
export function jsonOnly(accept: string | undefined): string {
  const kept = (accept ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !part.includes('protobuf') && !part.startsWith('*/*'));
  return kept.length > 0 ? kept.join(', ') : 'application/json';
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      throw new GatehouseError('invalid_request', `the request body is larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Masks newline-separated watch events as they pass, one line at a time. */
function maskLines(): Transform {
  let pending = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      const end = pending.lastIndexOf('\n');
      if (end === -1) {
        if (pending.length > MAX_MASKED_BYTES) callback(new Error('watch event too large to mask'));
        else callback();
        return;
      }
      const lines = pending.slice(0, end + 1);
      pending = pending.slice(end + 1);
      callback(null, maskSecretsText(lines));
    },
    flush(callback) {
      callback(null, pending === '' ? '' : maskSecretsText(pending));
    },
  });
}

/** Masks a whole (bounded) JSON body: a Secret, a SecretList, a Status. */
function maskWhole(): Transform {
  const chunks: Buffer[] = [];
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > MAX_MASKED_BYTES) {
        callback(new Error('Secret response too large to mask'));
        return;
      }
      chunks.push(chunk);
      callback();
    },
    flush(callback) {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const value: unknown = JSON.parse(text);
        maskSecrets(value);
        callback(null, JSON.stringify(value));
      } catch {
        callback(null, maskSecretsText(text));
      }
    },
  });
}

/** Keeps the start of a response for the audit record while it streams through. */
class ExchangeCapture {
  status: number | undefined;
  #chunks: Buffer[] = [];
  #kept = 0;
  #truncated = false;
  readonly #method: string;
  readonly #target: string;
  readonly #limits: CaptureLimits | undefined;

  constructor(method: string, target: string, limits: CaptureLimits | undefined) {
    this.#method = method;
    this.#target = target;
    this.#limits = limits;
  }

  tap(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        const room = (this.#limits?.maxBytes ?? 0) - this.#kept;
        if (room > 0) {
          const kept = chunk.subarray(0, room);
          this.#chunks.push(kept);
          this.#kept += kept.length;
        }
        if (chunk.length > room) this.#truncated = true;
        callback(null, chunk);
      },
    });
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }

  result(): CapturedExchange | undefined {
    if (!this.#limits) return undefined;
    return {
      kind: 'exchange',
      method: this.#method,
      target: this.#target,
      ...(this.status !== undefined && { status: this.status }),
      body: this.text(),
      truncated: this.#truncated,
    };
  }
}

function outcomeOf(status: number, capture: ExchangeCapture): Omit<CommandOutcome, 'durationMs'> {
  if (status < 400) return { tag: String(status) };
  let message = `status ${status}`;
  try {
    const parsed = JSON.parse(capture.text()) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not a Status (or cut by the capture limit): the status code says enough.
  }
  return { tag: String(status), error: { code: String(status), message } };
}
