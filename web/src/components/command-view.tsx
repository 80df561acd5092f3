import { splitStatements } from '../sql-highlight.ts';

/**
 * A command as the reviewer must read it: monospace, syntax-coloured, each risky statement
 * boxed with a label (`DROP TABLE`, `DELETE without WHERE`) so it cannot be skimmed past.
 */
export function CommandView({ text, compact = false }: { text: string; compact?: boolean }) {
  const statements = splitStatements(text);
  return (
    <pre className={compact ? 'sql sql-compact' : 'sql'}>
      <code>
        {statements.map((statement, i) => (
          <span
            // biome-ignore lint/suspicious/noArrayIndexKey: statements have no identity but their order
            key={i}
            className={statement.risk ? `stmt stmt-${statement.risk}` : 'stmt'}
            data-risk={statement.risk}
          >
            {statement.risk && !compact && (
              <span className={`stmt-label stmt-label-${statement.risk}`}>{statement.label}</span>
            )}
            {statement.tokens.map((token, j) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positional
              <span key={j} className={`tok-${token.kind}`}>
                {token.text}
              </span>
            ))}
          </span>
        ))}
      </code>
    </pre>
  );
}
