import { describe, expect, it } from 'vitest';
import { MASKED_TEXT, maskSecretsText } from './secrets.js';

const secret = {
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: {
    name: 'db',
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}',
    },
  },
  type: 'Opaque',
  data: { password: 'aHVudGVyMg==' },
};

describe('maskSecretsText', () => {
  it('masks a Secret, keeping data base64', () => {
    const masked = JSON.parse(maskSecretsText(JSON.stringify(secret)));
    expect(Buffer.from(masked.data.password, 'base64').toString()).toBe(MASKED_TEXT);
    expect(JSON.stringify(masked)).not.toContain('aHVudGVyMg');
  });

  it('masks every item of a SecretList and each watch event', () => {
    const list = JSON.stringify({ kind: 'SecretList', items: [{ ...secret, kind: undefined }] });
    expect(maskSecretsText(list)).not.toContain('aHVudGVyMg');
    const events = `${JSON.stringify({ type: 'ADDED', object: secret })}\n${JSON.stringify({ type: 'MODIFIED', object: secret })}\n`;
    const masked = maskSecretsText(events);
    expect(masked).not.toContain('aHVudGVyMg');
    expect(masked.split('\n')).toHaveLength(3);
  });

  it('masks the objects and metadata rows of a Table', () => {
    const table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      rows: [
        { cells: ['db'], object: { kind: 'PartialObjectMetadata', metadata: secret.metadata } },
      ],
    };
    expect(maskSecretsText(JSON.stringify(table))).not.toContain('aHVudGVyMg');
  });

  it('replaces what does not parse', () => {
    expect(maskSecretsText('{"data":{"password":"aHVudGVyMg=="')).not.toContain('aHVudGVyMg');
  });
});
