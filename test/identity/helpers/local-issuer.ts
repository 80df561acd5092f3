import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** A signing key the test holds, and whether the issuer publishes it. */
export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export const TENANT = '00000000-0000-0000-0000-0000000000a1';
export const OTHER_TENANT = '00000000-0000-0000-0000-0000000000b2';

/** Generates an asymmetric key pair for signing test tokens. */
export async function makeKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/**
 * An Entra-shaped OpenID provider on 127.0.0.1:0: discovery at `/{tenant}/v2.0`, a JWKS whose
 * keys the test controls, a client-credentials token endpoint, and request counters.
 */
export class LocalIssuer implements AsyncDisposable {
  readonly hits = { discovery: 0, jwks: 0, token: 0 };
  /** Keys served in the JWKS. */
  published: TestKey[] = [];
  /** When set, every request is answered with this status. */
  failWith: number | undefined;
  readonly tokenRequests: URLSearchParams[] = [];
  readonly #server: Server;
  readonly origin: string;
  readonly tenant: string;

  private constructor(server: Server, tenant: string) {
    this.#server = server;
    this.tenant = tenant;
    const { port } = server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
  }

  static async start(tenant = TENANT): Promise<LocalIssuer> {
    let issuer: LocalIssuer | undefined;
    const server = createServer((req, res) => {
      issuer!.#handle(req, res).catch(() => res.writeHead(500).end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    issuer = new LocalIssuer(server, tenant);
    return issuer;
  }

  /** The v2-style issuer URL to configure. */
  get url(): string {
    return `${this.origin}/${this.tenant}/v2.0`;
  }

  /** Signs claims with a key (published or not) and optional header overrides. */
  sign(claims: JWTPayload, key: TestKey, header: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
      .sign(key.privateKey);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.origin).pathname;
    if (this.failWith) return void res.writeHead(this.failWith).end();
    const json = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === `/${this.tenant}/v2.0/.well-known/openid-configuration`) {
      this.hits.discovery++;
      return void json({
        issuer: this.url,
        jwks_uri: `${this.origin}/${this.tenant}/discovery/v2.0/keys`,
        token_endpoint: `${this.origin}/${this.tenant}/oauth2/v2.0/token`,
      });
    }
    if (path === `/${this.tenant}/discovery/v2.0/keys`) {
      this.hits.jwks++;
      return void json({ keys: this.published.map((k) => k.publicJwk) });
    }
    if (path === `/${this.tenant}/oauth2/v2.0/token` && req.method === 'POST') {
      this.hits.token++;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      this.tokenRequests.push(form);
      if (form.get('client_id') !== 'graph-client' || form.get('client_secret') !== 's3cret') {
        return void res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
      }
      return void json({
        access_token: 'graph-access-token',
        token_type: 'Bearer',
        expires_in: 3600,
      });
    }
    res.writeHead(404).end();
  }
}

/** A test clock: starts at the real time, moves only when told to. */
export function testClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    seconds: () => Math.floor(now / 1000),
  };
}
