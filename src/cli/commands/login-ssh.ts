/**
 * `gatehouse login --ssh`: a short-lived OpenSSH user certificate from the gateway for a fresh
 * ed25519 key pair, written to ~/.gatehouse/ssh/ with a known_hosts for the gateway's SSH
 * listeners, and the plain `ssh` line that uses them. Kept in its own file so it can sit under
 * whichever `gatehouse login` command the CLI ends up with.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import sshpk from 'sshpk';
import { callApi, type RemoteOptions } from '../cli-context.js';

interface CertificateResponse {
  certificate: string;
  valid_until: string;
  ca_public_key: string;
  connectors: Array<{
    name: string;
    host: string;
    port: number;
    logins: string[];
    host_key: string;
  }>;
}

export interface LoginSshOptions extends RemoteOptions {
  /** Folder for the key, certificate and known_hosts (default ~/.gatehouse/ssh). */
  dir?: string;
  /** Which SSH connector the printed `ssh` line uses (default: the first). */
  connector?: string;
}

export interface LoginSshResult {
  keyFile: string;
  certificateFile: string;
  knownHostsFile: string;
  validUntil: string;
  /** The `ssh` command line for the chosen connector; undefined when the gateway has none. */
  sshLine?: string;
}

/** Gets the certificate and writes the files; returns what was written. */
export async function loginSsh(options: LoginSshOptions): Promise<LoginSshResult> {
  const dir = options.dir ?? join(homedir(), '.gatehouse', 'ssh');
  const { privateKey } = generateKeyPairSync('ed25519');
  const key = sshpk.parsePrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }), 'pem');
  const publicKey = key.toPublic().toString('ssh');
  const answer = await callApi<CertificateResponse>(options, 'POST', '/api/ssh/certificate', {
    public_key: publicKey,
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, 'id_ed25519');
  const certificateFile = `${keyFile}-cert.pub`;
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(keyFile, key.toString('openssh'), { mode: 0o600 });
  await writeFile(`${keyFile}.pub`, `${publicKey} gatehouse\n`, { mode: 0o644 });
  await writeFile(certificateFile, `${answer.certificate.trim()}\n`, { mode: 0o644 });
  // The gateway presents plain host keys (not host certificates): each is pinned per listener.
  const hosts = answer.connectors.map(
    (c) => `${c.port === 22 ? c.host : `[${c.host}]:${c.port}`} ${c.host_key}`,
  );
  await writeFile(knownHostsFile, hosts.length > 0 ? `${hosts.join('\n')}\n` : '', { mode: 0o644 });
  const chosen = options.connector
    ? answer.connectors.find((c) => c.name === options.connector)
    : answer.connectors[0];
  if (options.connector && !chosen) {
    throw new Error(
      `no SSH connector "${options.connector}" (available: ${answer.connectors.map((c) => c.name).join(', ') || 'none'})`,
    );
  }
  const sshLine =
    chosen &&
    [
      'ssh',
      `-i ${keyFile}`,
      `-o UserKnownHostsFile=${knownHostsFile}`,
      '-o IdentitiesOnly=yes',
      ...(chosen.port === 22 ? [] : [`-p ${chosen.port}`]),
      `${chosen.logins[0] ?? 'LOGIN'}@${chosen.host}`,
    ].join(' ');
  return {
    keyFile,
    certificateFile,
    knownHostsFile,
    validUntil: answer.valid_until,
    ...(sshLine && { sshLine }),
  };
}
