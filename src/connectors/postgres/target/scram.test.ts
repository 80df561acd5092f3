import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5Password, ScramClient, ScramError } from './scram.js';

describe('ScramClient', () => {
  // RFC 7677 §3 test vector (user "user", password "pencil").
  it('produces the RFC 7677 client proof and verifies the server signature', async () => {
    const client = new ScramClient('pencil', 'rOprNGfwEbeRWgbNEkqO');
    // The RFC's client-first-bare names the user; PostgreSQL sends n= empty, so recompute the
    // expected values for our bare message with the RFC's salt and nonces.
    expect(client.first().toString()).toBe('n,,n=,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst =
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const final = (await client.final(serverFirst)).toString();
    const salted = pbkdf2Sync(
      'pencil',
      Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      4096,
      32,
      'sha256',
    );
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const stored = createHash('sha256').update(clientKey).digest();
    const auth = `n=,r=rOprNGfwEbeRWgbNEkqO,${serverFirst},c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0`;
    const sig = createHmac('sha256', stored).update(auth).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64');
    expect(final).toBe(`c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=${proof}`);
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    const serverSig = createHmac('sha256', serverKey).update(auth).digest('base64');
    expect(() => client.verify(`v=${serverSig}`)).not.toThrow();
    expect(() => client.verify('v=AAAA')).toThrow(ScramError);
  });

  it('matches the RFC 7677 proof when the user name is in the bare message', async () => {
    // Sanity check of the primitive against the published vector itself.
    const salted = pbkdf2Sync(
      'pencil',
      Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      4096,
      32,
      'sha256',
    );
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const stored = createHash('sha256').update(clientKey).digest();
    const auth =
      'n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const sig = createHmac('sha256', stored).update(auth).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64');
    expect(proof).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  });

  it('refuses a server nonce that does not extend its own, and absurd iteration counts', async () => {
    await expect(new ScramClient('pw', 'abc').final('r=xyz1,s=AAAA,i=4096')).rejects.toThrow(
      ScramError,
    );
    await expect(new ScramClient('pw', 'abc').final('r=abc1,s=AAAA,i=99999999')).rejects.toThrow(
      /iteration/,
    );
    await expect(new ScramClient('pw', 'abc').final('r=abc1,i=4096')).rejects.toThrow(/salt/);
  });

  it('surfaces a server-final error attribute', async () => {
    const client = new ScramClient('pw', 'abc');
    client.first();
    await client.final('r=abc1,s=AAAA,i=1');
    expect(() => client.verify('e=invalid-proof')).toThrow(/invalid-proof/);
  });
});

describe('md5Password', () => {
  it('hashes as PostgreSQL expects', () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const inner = createHash('md5').update('secretalice').digest('hex');
    const expected = createHash('md5').update(inner).update(salt).digest('hex');
    expect(md5Password('alice', 'secret', salt)).toBe(`md5${expected}`);
  });
});
