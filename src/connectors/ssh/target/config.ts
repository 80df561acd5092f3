import { z } from 'zod';
import { type ConnectorConfig, type SecretRef, secretRef } from '../../../config/schema.js';

/** `ssh-ed25519 AAAA… [comment]`: an OpenSSH public key line (the type and its base64 blob). */
const publicKeyLine = z
  .string()
  .trim()
  .regex(
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|rsa-sha2-256|rsa-sha2-512) [A-Za-z0-9+/]+={0,3}( .*)?$/,
    'an OpenSSH public key line: "<type> <base64> [comment]", as in known_hosts without the host',
  );

/**
 * An ssh connector's `target:` section (the module's `targetSchema`): where the target sshd is,
 * the logins clients may ask for, how the gateway proves itself (its own private key, or
 * one-minute certificates signed by a user CA), and the host key it must present.
 */
export const sshTargetSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    /** Logins a client may name before `@`; each must exist on the target. */
    logins: z.array(z.string().regex(/^[a-z_][a-z0-9_.-]*$/i, 'a login name')).min(1),
    /** The gateway's key for the target (`{file}` or `{env}`), OpenSSH or PEM format. */
    private_key: secretRef.optional(),
    /**
     * A user CA's private key: the gateway signs a one-minute certificate for a fresh key per
     * client session (the target's sshd trusts the CA with `TrustedUserCAKeys`).
     */
    user_ca: secretRef.optional(),
    /**
     * The target's host key(s), as OpenSSH public key lines, or `{file}`/`{env}` holding such
     * lines (one per line; blank lines and `#` comments skipped), e.g. the target's
     * `ssh_host_ed25519_key.pub`: the connection is refused when the target presents any other
     * (no trust on first use).
     */
    host_key: z.union([publicKeyLine, z.array(publicKeyLine).min(1), secretRef]),
    /** How long to wait for the target to accept the connection (ms, default 10 s). */
    connect_timeout_ms: z.number().int().min(100).max(300_000).optional(),
  })
  .superRefine((target, ctx) => {
    if ((target.private_key === undefined) === (target.user_ca === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['private_key'],
        message:
          'the gateway needs exactly one credential for the target: private_key, or user_ca (one-minute certificates)',
      });
    }
  });
export type SshTargetConfig = z.infer<typeof sshTargetSchema>;
export type SshConnectorConfig = ConnectorConfig<SshTargetConfig>;

/** The connector config as this connector knows it (validated by `sshTargetSchema`). */
export function sshConfig(config: ConnectorConfig): SshConnectorConfig {
  if (config.type !== 'ssh') {
    throw new TypeError(`connector "${config.name}" is of type ${config.type}, not ssh`);
  }
  return config as SshConnectorConfig;
}

/**
 * The configured host keys as their raw blobs (what the target sends during key exchange);
 * `secret` reads a `{file}`/`{env}` reference. Throws a TypeError naming the problem when a
 * referenced line is not a public key line, or none is there.
 */
export function hostKeyBlobs(
  target: SshTargetConfig,
  secret: (ref: SecretRef) => string,
): Buffer[] {
  const configured = target.host_key;
  const lines =
    typeof configured === 'string'
      ? [configured]
      : Array.isArray(configured)
        ? configured
        : secret(configured)
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length === 0) throw new TypeError('target.host_key names no public key');
  return lines.map((line) => {
    const parsed = publicKeyLine.safeParse(line);
    if (!parsed.success) throw new TypeError(`target.host_key: not a public key line: "${line}"`);
    return Buffer.from(parsed.data.split(/\s+/)[1] ?? '', 'base64');
  });
}
