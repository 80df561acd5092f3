import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConnectorDeps } from '../../core/connector.js';
import { createSshConnector } from './ssh-connector.js';

const hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

function deps(target: Record<string, unknown>, secret: string): ConnectorDeps {
  return {
    config: {
      name: 'ssh-test',
      type: 'ssh',
      listen: { host: '127.0.0.1', port: 0 },
      target: { host: '127.0.0.1', port: 22, logins: ['deploy'], host_key: hostKey, ...target },
      access: { groups: ['*'] },
      default: 'allow',
      rules: [],
      masking: [],
    },
    secret: () => secret,
    logger: pino({ level: 'silent' }),
    publicUrl: 'http://127.0.0.1',
  } as unknown as ConnectorDeps;
}

describe('SSH connector start', () => {
  it('refuses to start with a target credential it cannot read', async () => {
    await expect(
      createSshConnector(deps({ private_key: { env: 'K' } }, 'not a key')).start(),
    ).rejects.toThrow(/target.private_key is not a readable/);
    await expect(
      createSshConnector(deps({ user_ca: { env: 'K' } }, 'not a key')).start(),
    ).rejects.toThrow(/target.user_ca is not a readable/);
  });
});
