import { splitStatements, type Token } from '../sql-highlight.ts';

/**
 * A command as the reviewer must read it: monospace, syntax-coloured, each risky statement
 * boxed with a label (`DROP TABLE`, `DELETE without WHERE`) so it cannot be skimmed past. The
 * full view puts each statement on its own line (whitespace between statements carries no
 * meaning); the compact view, for lists, keeps the text exactly as sent.
 */
export function CommandView({
  text,
  compact = false,
  plain = false,
}: {
  text: string;
  compact?: boolean;
  /** Not SQL (a central policy document): shown exactly as written, uncoloured. */
  plain?: boolean;
}) {
  if (plain) {
    return (
      <pre className={compact ? 'sql sql-compact' : 'sql sql-full'}>
        <code>{text}</code>
      </pre>
    );
  }
  const statements = splitStatements(text);
  return (
    <pre className={compact ? 'sql sql-compact' : 'sql sql-full'}>
      <code>
        {statements.map((statement, i) => {
          const tokens = compact ? statement.tokens : trimSpace(statement.tokens);
          if (tokens.length === 0) return null;
          return (
            <span
              // biome-ignore lint/suspicious/noArrayIndexKey: statements have no identity but their order
              key={i}
              className={statement.risk ? `stmt stmt-${statement.risk}` : 'stmt'}
              data-risk={statement.risk}
            >
              {statement.risk && !compact && (
                <span className={`stmt-label stmt-label-${statement.risk}`}>{statement.label}</span>
              )}
              {tokens.map((token, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positional
                <span key={j} className={`tok-${token.kind}`}>
                  {token.text}
                </span>
              ))}
            </span>
          );
        })}
      </code>
    </pre>
  );
}

function trimSpace(tokens: Token[]): Token[] {
  let start = 0;
  let end = tokens.length;
  while (start < end && tokens[start]!.kind === 'space') start++;
  while (end > start && tokens[end - 1]!.kind === 'space') end--;
  return tokens.slice(start, end);
}
