import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../core/errors.js';
import { sshModule } from './ssh-module.js';
import { hostKeyBlobs, sshTargetSchema } from './target/config.js';

const hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

describe('sshModule', () => {
  it('validates the target: logins, exactly one credential, a host key line', () => {
    const base = { host: '10.0.0.5', logins: ['deploy'], host_key: hostKey };
    expect(sshModule.targetSchema.parse({ ...base, user_ca: { file: 'ca' } })).toMatchObject({
      port: 22,
    });
    expect(sshModule.targetSchema.safeParse({ ...base, private_key: { env: 'K' } }).success).toBe(
      true,
    );
    expect(sshModule.targetSchema.safeParse(base).success).toBe(false);
    expect(
      sshModule.targetSchema.safeParse({
        ...base,
        private_key: { env: 'K' },
        user_ca: { file: 'ca' },
      }).success,
    ).toBe(false);
    expect(
      sshModule.targetSchema.safeParse({ ...base, host_key: 'AAAA', private_key: { env: 'K' } })
        .success,
    ).toBe(false);
    expect(
      sshModule.targetSchema.safeParse({ ...base, logins: [], private_key: { env: 'K' } }).success,
    ).toBe(false);
  });

  it('classifies legacy scp with its direction and path', async () => {
    expect(await sshModule.classify('scp -t /srv/app/')).toMatchObject({
      classes: ['exec', 'scp_upload'],
      attributes: { path: '/srv/app/' },
    });
    expect(await sshModule.classify('scp -r -f logs')).toMatchObject({
      classes: ['exec', 'scp_download'],
      attributes: { path: 'logs' },
    });
    expect(await sshModule.classify('$X')).toMatchObject({ unclassifiable: true });
  });

  it('renders a refusal as one stderr line with the ticket and rationale', () => {
    const error = new GatehouseError('policy_denied', 'denied by rule "no-rm"', {
      rationale: 'rm is never run through the gateway',
      ticketId: 'tkt_1',
    });
    expect(new TextDecoder().decode(sshModule.renderError(error))).toBe(
      'gatehouse: denied by rule "no-rm" (ticket tkt_1): rm is never run through the gateway\r\n',
    );
  });

  it('replays a refusal and a recorded terminal as the client saw them', () => {
    expect(
      sshModule.replay({ text: 'rm x', decision: { action: 'deny', rule: 'no-rm', reason: 'no' } }),
    ).toEqual(['gatehouse: denied by rule "no-rm": no', '-- exit status 126']);
    expect(
      sshModule.replay({
        text: 'ls',
        decision: { action: 'allow', reason: 'default' },
        executedText: 'ls',
        outcome: {
          tag: 'exit 0',
          durationMs: 12,
          result: {
            kind: 'terminal',
            header: { version: 2, width: 80, height: 24 },
            events: [
              [0, 'i', 'ignored'],
              [0.1, 'o', 'a\r\nb\r\n'],
            ],
            truncated: false,
          },
        },
      }),
    ).toEqual(['a', 'b', '-- exit 0, 12 ms']);
  });
});

describe('target.host_key from a file', () => {
  const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
  const target = (hostKey: unknown) =>
    sshTargetSchema.parse({
      host: '127.0.0.1',
      logins: ['deploy'],
      private_key: { env: 'KEY' },
      host_key: hostKey,
    });

  it('reads public key lines, skipping blank lines and comments', () => {
    const blobs = hostKeyBlobs(
      target({ file: '/keys/target.pub' }),
      () => `# target\n\n${line} root@t\n`,
    );
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.toString('base64')).toBe(line.split(' ')[1]);
  });

  it('refuses a file without a public key line, naming the line', () => {
    expect(() => hostKeyBlobs(target({ file: '/k' }), () => '')).toThrow(/names no public key/);
    expect(() => hostKeyBlobs(target({ file: '/k' }), () => 'not a key')).toThrow(
      /not a public key line: "not a key"/,
    );
  });
});
