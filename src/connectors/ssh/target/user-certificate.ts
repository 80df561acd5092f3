/**
 * One-minute OpenSSH user certificates the gateway signs with the connector's `user_ca`, one per
 * client session, for a fresh ed25519 key; and presenting such a certificate with the ssh2
 * client, which has no certificate support of its own.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Client as SshClient } from 'ssh2';
import sshpk from 'sshpk';
import { GatehouseError } from '../../../core/errors.js';

export interface UserCertificate {
  /** The fresh private key (OpenSSH format) the certificate is for. */
  privateKey: string;
  /** The certificate's wire blob. */
  blob: Buffer;
  /** Its algorithm, `ssh-ed25519-cert-v01@openssh.com`. */
  type: string;
  /** The OpenSSH `*-cert.pub` line. */
  line: string;
}

export interface CertificateRequest {
  /** The CA's private key text (OpenSSH or PEM). */
  caKey: string;
  /** Principals: the logins the certificate is valid for. */
  principals: string[];
  /** The key id the target's sshd logs (who, which session). */
  keyId: string;
  /** `user` for a login, `host` for a host certificate (principals are host names). */
  kind?: 'user' | 'host';
  /** Validity (ms); it starts 30 s in the past to allow for clock skew. */
  ttlMs: number;
  /** The public key to certify (OpenSSH line); a fresh ed25519 key when absent. */
  publicKey?: string;
  /** Extensions (user certificates): `permit-pty` by default. */
  extensions?: string[];
  now?: number;
}

/** Throws TypeError unless `text` is a private key sshpk can sign with (checked at start). */
export function checkSigningKey(text: string, what: string): void {
  try {
    sshpk.parsePrivateKey(text, 'auto');
  } catch (err) {
    throw new TypeError(
      `${what} is not a readable, unencrypted private key: ${(err as Error).message}`,
    );
  }
}

/** Signs a certificate; throws TypeError when the CA key cannot be read. */
export function signCertificate(request: CertificateRequest): UserCertificate {
  const { caKey, principals, keyId, kind = 'user', ttlMs, now = Date.now() } = request;
  const ca = sshpk.parsePrivateKey(caKey, 'auto');
  const fresh = request.publicKey === undefined ? sshpk.generatePrivateKey('ed25519') : undefined;
  const subjectKey = fresh ?? sshpk.parseKey(request.publicKey as string, 'ssh');
  const subjects = principals.map((p) =>
    kind === 'user' ? sshpk.identityForUser(p) : sshpk.identityForHost(p),
  );
  const cert = sshpk.createCertificate(
    subjects,
    subjectKey,
    sshpk.identityForHost('gatehouse'),
    ca,
    {
      validFrom: new Date(now - 30_000),
      validUntil: new Date(now + ttlMs),
      serial: randomBytes(8),
    },
  );
  const exts =
    kind === 'user'
      ? (request.extensions ?? ['permit-pty']).map((name) => ({
          critical: false,
          name,
          data: Buffer.alloc(0),
        }))
      : [];
  cert.signatures.openssh = {
    ...(cert.signatures.openssh as sshpk.Format.OpenSshSignature),
    keyId,
    exts,
  };
  cert.signWith(ca);
  const line = cert.toString('openssh');
  const [type = '', base64 = ''] = line.split(' ');
  return {
    privateKey: fresh ? fresh.toString('openssh') : '',
    blob: Buffer.from(base64, 'base64'),
    type,
    line,
  };
}

const require = createRequire(import.meta.url);

/** ssh2's internal packet helpers, checked so a changed ssh2 fails closed instead of misbehaving. */
function ssh2Internals(): { sendPacket: (proto: unknown, packet: Buffer) => void } {
  const utils = require('ssh2/lib/protocol/utils.js') as { sendPacket?: unknown };
  if (typeof utils.sendPacket !== 'function') {
    throw new GatehouseError('target_unavailable', 'this ssh2 version cannot present certificates');
  }
  return { sendPacket: utils.sendPacket as (proto: unknown, packet: Buffer) => void };
}

const USERAUTH_REQUEST = 50;

interface PacketWriter {
  allocStart: number;
  alloc(size: number): Buffer;
  finalize(packet: Buffer): Buffer;
}
interface ProtocolInternals {
  _packetRW?: { write?: PacketWriter };
  _kex?: { sessionID?: Buffer };
  _authsQueue?: string[];
  authPK?: unknown;
}

/**
 * Makes `client` (just after `connect()`) authenticate with `certificate` instead of the bare
 * key it was given as `privateKey`: the request names the certificate's algorithm and blob,
 * and the signature — made by ssh2 with that private key — is labelled `ssh-ed25519`, as
 * OpenSSH expects for certificate keys (PROTOCOL.certkeys).
 */
export function presentCertificate(client: SshClient, certificate: UserCertificate): void {
  const { sendPacket } = ssh2Internals();
  const proto = (client as unknown as { _protocol?: ProtocolInternals })._protocol;
  const writer = proto?._packetRW?.write;
  if (
    !proto ||
    typeof proto.authPK !== 'function' ||
    !writer ||
    !Array.isArray(proto._authsQueue)
  ) {
    throw new GatehouseError('target_unavailable', 'this ssh2 version cannot present certificates');
  }
  const algo = Buffer.from(certificate.type);
  const sigAlgo = Buffer.from(certificate.type.replace(/-cert-v01@openssh\.com$/, ''));
  const blob = certificate.blob;
  const fields = (username: Buffer, signed: boolean): Buffer[] => [
    Buffer.from([USERAUTH_REQUEST]),
    sshString(username),
    sshString(Buffer.from('ssh-connection')),
    sshString(Buffer.from('publickey')),
    Buffer.from([signed ? 1 : 0]),
    sshString(algo),
    sshString(blob),
  ];
  const send = (payload: Buffer) => {
    // Read at send time: key exchange replaces the writer (and its header offset).
    const writer = proto._packetRW?.write as PacketWriter;
    const packet = writer.alloc(payload.length);
    payload.copy(packet, writer.allocStart);
    sendPacket(proto, writer.finalize(packet));
  };
  proto.authPK = (
    username: string,
    _key: unknown,
    keyAlgo: unknown,
    cbSign?: (data: Buffer, done: (signature: Buffer) => void) => void,
  ) => {
    const sign = typeof keyAlgo === 'function' ? (keyAlgo as typeof cbSign) : cbSign;
    const user = Buffer.from(username);
    if (!sign) {
      proto._authsQueue?.push('publickey');
      send(Buffer.concat(fields(user, false)));
      return;
    }
    const sessionId = proto._kex?.sessionID ?? Buffer.alloc(0);
    const request = Buffer.concat(fields(user, true));
    sign(Buffer.concat([sshString(sessionId), request]), (signature) => {
      const sig = sshString(Buffer.concat([sshString(sigAlgo), sshString(signature)]));
      proto._authsQueue?.push('publickey');
      send(Buffer.concat([request, sig]));
    });
  };
}

function sshString(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}
