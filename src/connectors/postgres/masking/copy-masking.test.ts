import { loadModule } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileMasking } from '../../../masking/index.js';
import type { CopyOut } from '../classify/copy-statement.js';
import { copyOutStatement } from '../classify/copy-statement.js';
import { BackendCode } from '../protocol/message-codes.js';
import { maskingTransform } from './transform.js';

beforeAll(async () => {
  await loadModule();
});

const masker = compileMasking([
  { columns: ['users.email'], strategy: 'redact' },
  { columns: ['users.age'], strategy: 'null' },
  { detectors: ['email'], strategy: 'redact' },
] as never).forIdentity([]).plan;

function framed(type: number, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeInt32BE(bytes.length + 4, 1);
  return Buffer.concat([head, bytes]);
}

/** CopyOutResponse: overall format, column count, per-column formats. */
function copyOutResponse(columns: number, format = 0): Buffer {
  const body = Buffer.alloc(3 + 2 * columns);
  body[0] = format;
  body.writeInt16BE(columns, 1);
  for (let i = 0; i < columns; i++) body.writeInt16BE(format, 3 + 2 * i);
  return framed(BackendCode.CopyOutResponse, body);
}

function resolved(sql: string, columns: string[]): CopyOut {
  return {
    statement: copyOutStatement(sql)!,
    columns: columns.map((column) => ({ table: 'public.users', column })),
  };
}

/** Sends a COPY's lines through a fresh transform; returns what the client gets. */
function copyThrough(copy: CopyOut | undefined, lines: string[], columns: number, format = 0) {
  const t = maskingTransform(masker, () => undefined);
  t(BackendCode.CopyOutResponse, copyOutResponse(columns, format), copy);
  const out = lines.map((line) =>
    t(BackendCode.CopyData, framed(BackendCode.CopyData, line))!.toString('utf8', 5),
  );
  t(BackendCode.CommandComplete, framed(BackendCode.CommandComplete, 'COPY 1\0'));
  return out;
}

describe('COPY masking per column', () => {
  it('masks ruled fields of text lines, re-escaped; detectors elsewhere; NULL kept', () => {
    const copy = resolved('COPY users TO STDOUT', ['id', 'email', 'age', 'note']);
    expect(
      copyThrough(
        copy,
        ['1\tann@example.com\t41\tmail ann@example.com\\tx\n', '2\t\\N\t\\N\tok\n'],
        4,
      ),
    ).toEqual(['1\t[redacted]\t\\N\tmail [redacted:email]\\tx\n', '2\t\\N\t\\N\tok\n']);
  });

  it('masks CSV fields, passes the header, keeps FORCE_QUOTE quoting', () => {
    const copy = resolved(
      'COPY users (age, email, id) TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE *)',
      ['age', 'email', 'id'],
    );
    expect(
      copyThrough(copy, ['age,email,id\n', '"41","ann@example.com","1"\n', ',"x,y","2"\n'], 3),
    ).toEqual(['age,email,id\n', ',"[redacted]","1"\n', ',"[redacted]","2"\n']);
  });

  it('passes an unchanged line as the same frame', () => {
    const t = maskingTransform(masker, () => undefined);
    t(
      BackendCode.CopyOutResponse,
      copyOutResponse(1),
      resolved('COPY users (id) TO STDOUT', ['id']),
    );
    const frame = framed(BackendCode.CopyData, '7\n');
    expect(t(BackendCode.CopyData, frame)).toBe(frame);
  });

  it('redacts whole without resolved columns, in binary, or when the count differs', () => {
    const line = '1\tann@example.com\n';
    const whole = ['[redacted]\t[redacted]\n'];
    const copy = resolved('COPY users (id, email) TO STDOUT', ['id', 'email']);
    expect(copyThrough(undefined, [line], 2)).toEqual(whole);
    expect(copyThrough({ statement: copy.statement }, [line], 2)).toEqual(whole);
    expect(copyThrough(copy, [line], 3)).toEqual(whole);
    expect(copyThrough(copy, [line], 2, 1)).toEqual(whole);
    // A line that does not split into the resolved columns.
    expect(copyThrough(copy, ['1\tann@example.com\textra\n'], 2)).toEqual([
      '[redacted]\t[redacted]\t[redacted]\n',
    ]);
  });

  it('forgets the columns once the COPY ended', () => {
    const t = maskingTransform(masker, () => undefined);
    t(
      BackendCode.CopyOutResponse,
      copyOutResponse(2),
      resolved('COPY users (id, email) TO STDOUT', ['id', 'email']),
    );
    t(BackendCode.CommandComplete, framed(BackendCode.CommandComplete, 'COPY 0\0'));
    t(BackendCode.CopyOutResponse, copyOutResponse(2));
    expect(
      t(BackendCode.CopyData, framed(BackendCode.CopyData, '1\tx\n'))!.toString('utf8', 5),
    ).toBe('[redacted]\t[redacted]\n');
  });
});
