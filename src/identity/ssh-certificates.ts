/**
 * Gateway-issued OpenSSH user certificates (`gatehouse login --ssh`): an identity that proved
 * itself with a token gets a short-lived certificate for its own public key, signed by the
 * gateway's user CA (generated once, kept in the store); SSH connectors accept that
 * certificate in place of a token. The verified identity travels in the certificate's key id,
 * which the CA's signature covers.
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import sshpk from 'sshpk';
import { GatehouseError } from '../core/errors.js';
import type { Identity } from '../core/identity.js';
import type { KeyStore } from '../core/key-store.js';

/** The KeyStore name of the gateway's SSH user CA. */
export const SSH_USER_CA_KEY = 'ssh-user-ca';
/** Longest validity a certificate gets, whatever the token says. */
export const MAX_CERTIFICATE_MS = 8 * 3600_000;
const KEY_ID_PREFIX = 'gatehouse:';

function generateCa(): string {
  return sshpk.generatePrivateKey('ed25519').toString('openssh');
}

/** The CA's public key line (`ssh-ed25519 AAAA… gatehouse-user-ca`). */
export async function sshUserCaPublicKey(keys: KeyStore): Promise<string> {
  const ca = sshpk.parsePrivateKey(await keys.getOrCreate(SSH_USER_CA_KEY, generateCa), 'openssh');
  return `${ca.toPublic().toString('ssh').split(' ').slice(0, 2).join(' ')} gatehouse-user-ca`;
}

/** The public key line of an OpenSSH private key (a host key kept in the store). */
export function publicKeyLine(privateKey: string): string {
  return sshpk
    .parsePrivateKey(privateKey, 'auto')
    .toPublic()
    .toString('ssh')
    .split(' ')
    .slice(0, 2)
    .join(' ');
}

export interface IssuedCertificate {
  /** The `*-cert.pub` line. */
  certificate: string;
  validUntil: number;
}

/**
 * Signs a certificate for `publicKey` (an OpenSSH public key line, ed25519 or ECDSA/RSA) that
 * speaks for `identity` until the token expires, at most `maxMs` (default 8 h).
 */
export async function issueSshCertificate(
  keys: KeyStore,
  identity: Identity,
  publicKey: string,
  now: number,
  maxMs = MAX_CERTIFICATE_MS,
): Promise<IssuedCertificate> {
  let subjectKey: sshpk.Key;
  try {
    subjectKey = sshpk.parseKey(publicKey.trim(), 'ssh');
  } catch {
    throw new GatehouseError('invalid_request', 'public_key is not an OpenSSH public key line');
  }
  if (subjectKey.type !== 'ed25519') {
    throw new GatehouseError('invalid_request', 'public_key must be an ed25519 key');
  }
  const ca = sshpk.parsePrivateKey(await keys.getOrCreate(SSH_USER_CA_KEY, generateCa), 'openssh');
  const tokenEnd =
    identity.expiresAt === undefined ? Number.POSITIVE_INFINITY : identity.expiresAt * 1000;
  const validUntil = Math.min(tokenEnd, now + maxMs);
  if (validUntil <= now) throw new GatehouseError('token_invalid', 'the token has expired');
  const claims = {
    iss: identity.issuer,
    in: identity.issuerName,
    sub: identity.subject,
    ...(identity.name !== undefined && { name: identity.name }),
    groups: identity.groups,
    agent: identity.agent,
    ...(identity.tenant !== undefined && { tid: identity.tenant }),
  };
  const principal = identity.subject.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 64) || 'gatehouse';
  const cert = sshpk.createCertificate(
    sshpk.identityForUser(principal),
    subjectKey,
    sshpk.identityForHost('gatehouse'),
    ca,
    { validFrom: new Date(now - 30_000), validUntil: new Date(validUntil) },
  );
  cert.signatures.openssh = {
    ...(cert.signatures.openssh as sshpk.Format.OpenSshSignature),
    keyId: `${KEY_ID_PREFIX}${Buffer.from(JSON.stringify(claims)).toString('base64url')}`,
    exts: ['permit-pty', 'permit-port-forwarding'].map((name) => ({
      critical: false,
      name,
      data: Buffer.alloc(0),
    })),
  };
  cert.signWith(ca);
  return { certificate: cert.toString('openssh'), validUntil };
}

/** What an SSH `publickey` login presented (ssh2's PKAuthContext fields). */
export interface PresentedKey {
  algo: string;
  /** The public key (here: certificate) blob. */
  data: Buffer;
  /** The signature as sent (`string algo, string sig`), absent for a "would you accept" check. */
  signature?: Buffer;
  /** What was signed (session id and request). */
  blob?: Buffer;
}

/**
 * The identity a gateway-issued certificate speaks for, once it is signed by the gateway's CA,
 * within its validity, and (with a signature) proven by its key's owner. Throws `token_invalid`.
 */
export async function verifySshCertificate(
  keys: KeyStore,
  presented: PresentedKey,
  now: number,
): Promise<Identity> {
  const invalid = (why: string) =>
    new GatehouseError('token_invalid', `certificate refused: ${why}`);
  if (!/-cert-v01@openssh\.com$/.test(presented.algo)) throw invalid('not a certificate');
  let cert: sshpk.Certificate;
  try {
    cert = sshpk.parseCertificate(
      Buffer.concat([
        Buffer.from(`${presented.algo} `),
        Buffer.from(presented.data.toString('base64')),
      ]),
      'openssh',
    );
  } catch {
    throw invalid('unreadable');
  }
  const ca = sshpk.parsePrivateKey(await keys.getOrCreate(SSH_USER_CA_KEY, generateCa), 'openssh');
  if (!cert.isSignedByKey(ca.toPublic())) throw invalid('not signed by this gateway');
  if (cert.isExpired(new Date(now))) throw invalid('expired or not yet valid');
  const keyId = cert.signatures.openssh?.keyId ?? '';
  if (!keyId.startsWith(KEY_ID_PREFIX)) throw invalid('no identity');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(keyId.slice(KEY_ID_PREFIX.length), 'base64url').toString());
  } catch {
    throw invalid('unreadable identity');
  }
  if (presented.signature && presented.blob) {
    if (!verifyOwner(presented.data, presented.signature, presented.blob)) {
      throw invalid('signature does not verify');
    }
  }
  const groups = Array.isArray(claims['groups']) ? claims['groups'].map(String) : [];
  return {
    issuer: String(claims['iss'] ?? ''),
    issuerName: String(claims['in'] ?? ''),
    subject: String(claims['sub'] ?? ''),
    ...(typeof claims['name'] === 'string' && { name: claims['name'] }),
    groups,
    agent: claims['agent'] === true,
    ...(typeof claims['tid'] === 'string' && { tenant: claims['tid'] }),
    expiresAt: Math.floor(cert.validUntil.getTime() / 1000),
  };
}

/**
 * The SSH signature (`string algo, string sig`) over `data`, by the certificate's ed25519 key,
 * read straight from the certificate blob (`string type, string nonce, string key, …`): sshpk
 * normalises key parts like integers and would add a zero byte to half of all ed25519 keys.
 */
function verifyOwner(certificate: Buffer, signature: Buffer, data: Buffer): boolean {
  try {
    const cert = sshStrings(certificate, 3);
    const [type, , key] = cert;
    if (type?.toString() !== 'ssh-ed25519-cert-v01@openssh.com' || key?.length !== 32) return false;
    const [algo, raw] = sshStrings(signature, 2);
    // `gatehouse login --ssh` makes ed25519 keys; other key types are refused for now.
    if (algo?.toString() !== 'ssh-ed25519' || !raw) return false;
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key]);
    return verifySignature(
      null,
      data,
      createPublicKey({ key: spki, format: 'der', type: 'spki' }),
      raw,
    );
  } catch {
    return false;
  }
}

/** The first `count` SSH strings (uint32 length, bytes) of `buffer`. */
function sshStrings(buffer: Buffer, count: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = buffer.readUInt32BE(at);
    if (at + 4 + length > buffer.length) throw new RangeError('truncated');
    out.push(buffer.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}
