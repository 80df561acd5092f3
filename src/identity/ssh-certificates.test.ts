import { generateKeyPairSync, sign } from 'node:crypto';
import sshpk from 'sshpk';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../core/identity.js';
import type { KeyStore } from '../core/key-store.js';
import { issueSshCertificate, verifySshCertificate } from './ssh-certificates.js';

function memoryKeys(): KeyStore {
  const values = new Map<string, string>();
  return {
    async getOrCreate(name, create) {
      if (!values.has(name)) values.set(name, create());
      return values.get(name) as string;
    },
  };
}

const now = 1_800_000_000_000;
const identity: Identity = {
  issuer: 'https://issuer.test',
  issuerName: 'corp',
  subject: 'agent-7',
  groups: ['agents'],
  agent: true,
  expiresAt: now / 1000 + 3600,
};

function keyPair() {
  const { privateKey } = generateKeyPairSync('ed25519');
  const key = sshpk.parsePrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }), 'pem');
  return { privateKey, publicLine: key.toPublic().toString('ssh') };
}

function presented(certificate: string, privateKey: ReturnType<typeof keyPair>['privateKey']) {
  const [algo = '', base64 = ''] = certificate.split(' ');
  const blob = Buffer.from('session id and request');
  const raw = sign(null, blob, privateKey);
  const name = Buffer.from('ssh-ed25519');
  const signature = Buffer.concat([u32(name.length), name, u32(raw.length), raw]);
  return { algo, data: Buffer.from(base64, 'base64'), signature, blob };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('gateway SSH certificates', () => {
  it('carry the identity the token proved, until the token expires', async () => {
    const keys = memoryKeys();
    const { privateKey, publicLine } = keyPair();
    const issued = await issueSshCertificate(keys, identity, publicLine, now);
    expect(issued.validUntil).toBe(now + 3600_000);
    const verified = await verifySshCertificate(
      keys,
      presented(issued.certificate, privateKey),
      now,
    );
    expect(verified).toMatchObject({
      subject: 'agent-7',
      groups: ['agents'],
      agent: true,
      issuerName: 'corp',
      expiresAt: now / 1000 + 3600,
    });
  });

  it('are refused when expired, signed by another gateway, or signed for by another key', async () => {
    const keys = memoryKeys();
    const { privateKey, publicLine } = keyPair();
    const issued = await issueSshCertificate(keys, identity, publicLine, now);
    const good = presented(issued.certificate, privateKey);
    await expect(verifySshCertificate(keys, good, now + 3601_000)).rejects.toThrow(/expired/);
    await expect(verifySshCertificate(memoryKeys(), good, now)).rejects.toThrow(
      /not signed by this gateway/,
    );
    const other = keyPair();
    await expect(
      verifySshCertificate(keys, presented(issued.certificate, other.privateKey), now),
    ).rejects.toThrow(/signature/);
    await expect(
      verifySshCertificate(keys, { algo: 'ssh-ed25519', data: Buffer.alloc(4) }, now),
    ).rejects.toThrow(/not a certificate/);
  });

  it('last at most 8 hours and are not issued for an expired token or a non-ed25519 key', async () => {
    const keys = memoryKeys();
    const { publicLine } = keyPair();
    const forever = { ...identity, expiresAt: undefined };
    expect((await issueSshCertificate(keys, forever, publicLine, now)).validUntil).toBe(
      now + 8 * 3600_000,
    );
    await expect(
      issueSshCertificate(keys, { ...identity, expiresAt: now / 1000 - 1 }, publicLine, now),
    ).rejects.toThrow(/expired/);
    const rsa = sshpk.generatePrivateKey('ecdsa').toPublic().toString('ssh');
    await expect(issueSshCertificate(keys, identity, rsa, now)).rejects.toThrow(/ed25519/);
    await expect(issueSshCertificate(keys, identity, 'nonsense', now)).rejects.toThrow(/OpenSSH/);
  });
});
