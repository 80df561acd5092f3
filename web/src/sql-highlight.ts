/**
 * Splits SQL into statements and tokens for display, and marks the statements a reviewer must
 * not miss. Display only: the gateway's PostgreSQL parser decides policy; this points the eye.
 */

export type TokenKind =
  | 'space'
  | 'comment'
  | 'string'
  | 'ident'
  | 'number'
  | 'word'
  | 'keyword'
  | 'punct';
export type Risk = 'danger' | 'caution';

export interface Token {
  kind: TokenKind;
  text: string;
}

export interface Statement {
  tokens: Token[];
  risk?: Risk;
  /** Why it is marked, in a reviewer's words. */
  label?: string;
}

const KEYWORDS = new Set(
  `ADD ALL ALTER AND ANALYZE AS ASC BEGIN BETWEEN BY CALL CASCADE CASE CHECK COLUMN COMMIT
  CONSTRAINT COPY CREATE CROSS DATABASE DEFAULT DELETE DESC DISTINCT DO DROP ELSE END EXCEPT
  EXECUTE EXISTS EXPLAIN FALSE FOR FOREIGN FROM FULL FUNCTION GRANT GROUP HAVING IF ILIKE IN INDEX
  INNER INSERT INTERSECT INTO IS JOIN KEY LEFT LIKE LIMIT NOT NULL OFFSET ON OR ORDER OUTER PRIMARY
  PROCEDURE PROGRAM REFERENCES RETURNING REVOKE RIGHT ROLE ROLLBACK SCHEMA SELECT SET TABLE THEN TO
  TRUE TRUNCATE UNION UNIQUE UPDATE USER USING VALUES VIEW WHEN WHERE WITH`.split(/\s+/),
);

const PATTERNS: Array<[TokenKind, RegExp]> = [
  ['space', /\s+/y],
  ['comment', /--[^\n]*/y],
  ['string', /[Ee]'(?:[^'\\]|\\.|'')*'?/y],
  ['string', /'(?:[^']|'')*'?/y],
  ['ident', /"(?:[^"]|"")*"?/y],
  ['number', /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
  ['word', /[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/y],
];

/** Tokens of `sql`; concatenating their text gives `sql` back exactly. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < sql.length) {
    const block = sql.startsWith('/*', at) ? blockCommentEnd(sql, at) : -1;
    if (block > at) {
      tokens.push({ kind: 'comment', text: sql.slice(at, block) });
      at = block;
      continue;
    }
    const dollar = /\$([A-Za-z_][\w]*)?\$/y;
    dollar.lastIndex = at;
    const open = dollar.exec(sql);
    if (open) {
      const close = sql.indexOf(open[0], at + open[0].length);
      const end = close < 0 ? sql.length : close + open[0].length;
      tokens.push({ kind: 'string', text: sql.slice(at, end) });
      at = end;
      continue;
    }
    let matched = false;
    for (const [kind, pattern] of PATTERNS) {
      pattern.lastIndex = at;
      const m = pattern.exec(sql);
      if (m && m[0].length > 0) {
        const upper = m[0].toUpperCase();
        tokens.push({
          kind: kind === 'word' && KEYWORDS.has(upper) ? 'keyword' : kind,
          text: m[0],
        });
        at += m[0].length;
        matched = true;
        break;
      }
    }
    if (!matched) {
      tokens.push({ kind: 'punct', text: sql[at]! });
      at += 1;
    }
  }
  return tokens;
}

/** PostgreSQL block comments nest. Returns the index after the comment (or the end of text). */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let at = start;
  while (at < sql.length) {
    if (sql.startsWith('/*', at)) {
      depth++;
      at += 2;
    } else if (sql.startsWith('*/', at)) {
      depth--;
      at += 2;
      if (depth === 0) return at;
    } else at++;
  }
  return sql.length;
}

/** Statements in order, each with the semicolon that ends it, risky ones marked. */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  for (const token of tokenize(sql)) {
    current.push(token);
    if (token.kind === 'punct' && token.text === ';') {
      statements.push(assess(current));
      current = [];
    }
  }
  if (current.length > 0) statements.push(assess(current));
  return statements;
}

function assess(tokens: Token[]): Statement {
  const words = tokens
    .filter((t) => t.kind === 'keyword' || t.kind === 'word')
    .map((t) => t.text.toUpperCase());
  const has = (word: string) => words.includes(word);
  const first = words[0];
  const second = words[1];
  const verb = first === 'WITH' ? (['DELETE', 'UPDATE', 'INSERT'].find(has) ?? first) : first;
  const mark = (risk: Risk, label: string): Statement => ({ tokens, risk, label });

  if (verb === 'DROP') return mark('danger', `DROP ${second ?? ''}`.trim());
  if (verb === 'TRUNCATE') return mark('danger', 'TRUNCATE');
  if (verb === 'DELETE' || verb === 'UPDATE') {
    return has('WHERE') ? mark('caution', verb) : mark('danger', `${verb} without WHERE`);
  }
  if (verb === 'ALTER' && (second === 'ROLE' || second === 'USER'))
    return mark('danger', `ALTER ${second}`);
  if (verb === 'GRANT' || verb === 'REVOKE') return mark('danger', verb);
  if (verb === 'COPY' && has('PROGRAM')) return mark('danger', 'COPY … PROGRAM');
  if (verb === 'DO' || verb === 'EXECUTE' || verb === 'CALL')
    return mark('caution', `${verb} (dynamic)`);
  if (verb === 'ALTER' || verb === 'CREATE')
    return mark('caution', `${verb} ${second ?? ''}`.trim());
  if (verb === 'INSERT' || verb === 'COPY') return mark('caution', verb);
  return { tokens };
}

/** Statement classes from the gateway's parser that warrant the red treatment. */
const DANGER_CLASSES = new Set([
  'drop_database',
  'drop_table',
  'truncate',
  'alter_role',
  'grant',
  'revoke',
  'copy_program',
]);

export function classRisk(cls: string, whereAbsent?: boolean): Risk | undefined {
  // Bounded writes are routine; only the gateway's "no WHERE" finding makes them red.
  if (cls === 'delete' || cls === 'update') return whereAbsent === true ? 'danger' : 'caution';
  if (DANGER_CLASSES.has(cls) || cls.startsWith('drop')) return 'danger';
  if (cls === 'write' || cls === 'ddl' || cls === 'unclassifiable') return 'caution';
  return undefined;
}

/** True when a DELETE or UPDATE in `sql` has no WHERE (display hint; tickets carry no such flag). */
export function lacksWhere(sql: string): boolean {
  return splitStatements(sql).some((s) => s.label?.endsWith('without WHERE') === true);
}
