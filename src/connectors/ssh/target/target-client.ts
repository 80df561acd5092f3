/**
 * The gateway's own SSH connection to the target, one per client session: authenticated with
 * the connector's private key, and refused unless the target presents a configured host key.
 */
import { timingSafeEqual } from 'node:crypto';
import ssh2, { type Client as SshClient } from 'ssh2';
import { GatehouseError } from '../../../core/errors.js';
import type { SshTargetConfig } from './config.js';
import { presentCertificate, type UserCertificate } from './user-certificate.js';

const { Client } = ssh2;

export interface TargetLogin {
  target: SshTargetConfig;
  login: string;
  /** The host keys the target may present (`hostKeyBlobs`). */
  hostKeys: Buffer[];
  /** The private key's text (resolved from `target.private_key`), or a session certificate. */
  credential: { privateKey: string } | { certificate: UserCertificate };
}

/** Connects and authenticates; throws `target_unavailable` with the reason. */
export function connectTarget({
  target,
  hostKeys: allowed,
  login,
  credential,
}: TargetLogin): Promise<SshClient> {
  let presented: Buffer | undefined;
  return new Promise((resolve, reject) => {
    const client = new Client();
    const fail = (err: Error) => {
      client.end();
      const hostKey =
        presented && !allowed.some((k) => sameBytes(k, presented as Buffer))
          ? ': the target presented a host key that is not in target.host_key'
          : '';
      reject(
        new GatehouseError('target_unavailable', `cannot reach the target${hostKey}`, {
          detail: err.message,
        }),
      );
    };
    client.once('ready', () => {
      client.off('error', fail);
      client.on('error', () => {});
      resolve(client);
    });
    client.once('error', fail);
    client.connect({
      host: target.host,
      port: target.port,
      username: login,
      privateKey:
        'privateKey' in credential ? credential.privateKey : credential.certificate.privateKey,
      readyTimeout: target.connect_timeout_ms ?? 10_000,
      keepaliveInterval: 30_000,
      hostVerifier: (key: Buffer) => {
        presented = key;
        return allowed.some((k) => sameBytes(k, key));
      },
    });
    if ('certificate' in credential) {
      try {
        presentCertificate(client, credential.certificate);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    }
  });
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
