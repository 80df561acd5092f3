/**
 * Client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it: no channel binding
 * (gs2 header `n,,`), the user name left empty because the server takes it from the startup
 * packet. https://www.postgresql.org/docs/current/sasl-authentication.html
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);
/** A target asking for more iterations than this is treated as hostile (CPU exhaustion). */
const MAX_ITERATIONS = 1_000_000;

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();

/**
 * SASLprep (RFC 4013) reduced to what matters for real passwords: NFKC normalisation of
 * non-ASCII input. PostgreSQL itself falls back to the raw bytes when a password is not valid
 * SASLprep, so an ASCII password is always used as is.
 */
function saslPrep(password: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: testing for plain ASCII on purpose
  return /^[\x00-\x7f]*$/.test(password) ? password : password.normalize('NFKC');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

export class ScramError extends Error {
  override readonly name = 'ScramError';
}

/** One SCRAM-SHA-256 exchange. Use once: first → final(serverFirst) → verify(serverFinal). */
export class ScramClient {
  readonly #password: string;
  readonly #nonce: string;
  #clientFirstBare = '';
  #expectedServerSignature: Buffer | undefined;

  constructor(password: string, nonce = randomBytes(18).toString('base64')) {
    this.#password = saslPrep(password);
    this.#nonce = nonce;
  }

  /** client-first-message, sent in SASLInitialResponse. */
  first(): Buffer {
    this.#clientFirstBare = `n=,r=${this.#nonce}`;
    return Buffer.from(`n,,${this.#clientFirstBare}`);
  }

  /** client-final-message for the server-first-message from AuthenticationSASLContinue. */
  async final(serverFirst: string): Promise<Buffer> {
    const attrs = attributes(serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce?.startsWith(this.#nonce) || nonce.length === this.#nonce.length) {
      throw new ScramError('server nonce does not extend the client nonce');
    }
    if (!salt) throw new ScramError('server sent no salt');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new ScramError(`unacceptable iteration count ${attrs.get('i')}`);
    }
    const salted = await pbkdf2Async(
      this.#password,
      Buffer.from(salt, 'base64'),
      iterations,
      32,
      'sha256',
    );
    const clientFinalBare = `c=biws,r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${clientFinalBare}`;
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.#expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${clientFinalBare},p=${proof.toString('base64')}`);
  }

  /** Checks the server-final-message from AuthenticationSASLFinal: the server knows the key too. */
  verify(serverFinal: string): void {
    const attrs = attributes(serverFinal);
    const error = attrs.get('e');
    if (error) throw new ScramError(`server rejected authentication: ${error}`);
    const signature = Buffer.from(attrs.get('v') ?? '', 'base64');
    const expected = this.#expectedServerSignature;
    if (
      !expected ||
      signature.length !== expected.length ||
      !timingSafeEqual(signature, expected)
    ) {
      throw new ScramError('server signature does not match');
    }
  }
}

/** PostgreSQL's MD5 password response: `md5` + md5(md5(password + user) + salt). */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`;
}
