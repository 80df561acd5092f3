import { lazy, Suspense, useEffect, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { Classes, Requester, Status } from '../components/badges.tsx';
import { CommandView } from '../components/command-view.tsx';
import { formatTime, toMs } from '../time.ts';
import type { CapturedResult, SessionDetail as Detail, SessionCommand, Ticket } from '../types.ts';

const TerminalReplay = lazy(() => import('../components/terminal-replay.tsx'));

const TERMINAL_PROTOCOLS = new Set(['ssh', 'kubernetes']);

/** One session as it happened: who, where, then every command in order with its decision and result. */
export function SessionDetail({ id }: { id: string }) {
  const [session, setSession] = useState<Detail>();
  const [error, setError] = useState<string>();
  const [tickets, setTickets] = useState(() => new Map<string, Ticket>());

  useEffect(() => {
    setSession(undefined);
    api<Detail>(`/api/sessions/${encodeURIComponent(id)}`).then(setSession, (err: unknown) =>
      setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, [id]);

  // Who decided each held command and why; tickets this reader may not see are left out.
  useEffect(() => {
    const ids = [...new Set(session?.commands.flatMap((c) => (c.ticketId ? [c.ticketId] : [])))];
    if (ids.length === 0) return;
    Promise.all(
      ids.map((ticketId) =>
        api<Ticket>(`/api/approvals/${encodeURIComponent(ticketId)}`).catch(() => undefined),
      ),
    ).then((found) => setTickets(new Map(found.flatMap((t) => (t ? [[t.id, t] as const] : [])))));
  }, [session]);

  if (error)
    return (
      <div className="page">
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      </div>
    );
  if (!session)
    return (
      <div className="page">
        <p className="empty">Loading session…</p>
      </div>
    );
  const terminal = Boolean(session.recording) || TERMINAL_PROTOCOLS.has(session.protocol);

  return (
    <div className="page">
      <p className="crumbs">
        <a href="#/sessions">Sessions</a> / <span className="mono">{session.id}</span>
      </p>
      <div className="page-head">
        <h1>
          Session on <span className="mono">{session.connector}</span>
        </h1>
        <Requester who={session.identity} />
      </div>
      <dl className="facts facts-row">
        <dt>Started</dt>
        <dd>{formatTime(session.startedAt)}</dd>
        <dt>Ended</dt>
        <dd>
          {session.endedAt === undefined
            ? 'still open'
            : `${formatTime(session.endedAt)}${session.endReason ? ` (${session.endReason})` : ''}`}
        </dd>
        <dt>Client</dt>
        <dd className="mono">
          {session.client.address}
          {session.client.port ? `:${session.client.port}` : ''}{' '}
          {session.client.tls ? '· TLS' : '· no TLS'}
        </dd>
        <dt>Protocol</dt>
        <dd>{session.protocol}</dd>
        {session.target &&
          Object.entries(session.target).map(([k, v]) => (
            <FragmentPair key={k} term={k} value={v} />
          ))}
      </dl>

      {terminal && (
        <section aria-label="Terminal replay" className="replay">
          <h2>Terminal replay</h2>
          <Suspense fallback={<p className="empty">Loading player…</p>}>
            <TerminalReplay url={`/api/sessions/${encodeURIComponent(session.id)}/recording`} />
          </Suspense>
        </section>
      )}

      <section aria-label="Commands">
        <h2>
          Commands <span className="count">{session.commands.length}</span>
        </h2>
        {session.commands.length === 0 && (
          <p className="empty">No commands were recorded in this session.</p>
        )}
        <ol className="timeline">
          {session.commands.map((command) => (
            <CommandEntry
              key={command.seq}
              command={command}
              start={toMs(session.startedAt) ?? 0}
              ticket={command.ticketId ? tickets.get(command.ticketId) : undefined}
            />
          ))}
        </ol>
      </section>
    </div>
  );
}

function FragmentPair({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd className="mono">{value}</dd>
    </>
  );
}

function CommandEntry({
  command,
  start,
  ticket,
}: {
  command: SessionCommand;
  start: number;
  ticket?: Ticket;
}) {
  const at = toMs(command.at) ?? start;
  const outcome = command.outcome;
  return (
    <li className={`entry entry-${command.decision.action}`}>
      <div className="entry-head">
        <span className="seq">#{command.seq}</span>
        <span className="muted" title={formatTime(command.at)}>
          +{((at - start) / 1000).toFixed(1)}s
        </span>
        <Status status={command.decision.action} />
        {command.decision.rule && <span className="mono muted">rule {command.decision.rule}</span>}
        {command.ticketId && (
          <a className="mono" href={`#/approvals/${encodeURIComponent(command.ticketId)}`}>
            ticket {command.ticketId.slice(0, 12)}
          </a>
        )}
        <Classes
          classes={command.classes}
          whereAbsent={command.attributes?.['where'] === 'absent'}
        />
      </div>
      <CommandView text={command.text} />
      {command.executedText && command.executedText !== command.text && (
        <div className="executed">
          <span className="muted">Ran instead (modified by reviewer):</span>
          <CommandView text={command.executedText} />
        </div>
      )}
      {ticket && <TicketOutcome ticket={ticket} />}
      {command.decision.action === 'deny' && (
        <p className="outcome outcome-error">Denied: {command.decision.reason}</p>
      )}
      {outcome && (
        <p className={outcome.error ? 'outcome outcome-error' : 'outcome'}>
          {outcome.error ? (
            <>
              Error{outcome.error.code ? ` ${outcome.error.code}` : ''}: {outcome.error.message}
            </>
          ) : (
            <>
              {outcome.tag ?? 'OK'}
              {outcome.rows !== undefined &&
                ` · ${outcome.rows} row${outcome.rows === 1 ? '' : 's'}`}
            </>
          )}
          <span className="muted"> · {outcome.durationMs.toFixed(1)} ms</span>
        </p>
      )}
      {outcome?.result && <ResultTable result={outcome.result} />}
    </li>
  );
}

/** The review of a held command: its outcome, who decided, and their rationale. */
function TicketOutcome({ ticket }: { ticket: Ticket }) {
  const decisions = ticket.decisions.filter((d) => d.action !== 'revoke');
  return (
    <div className="ticket-outcome">
      <Status status={ticket.status} />
      {decisions.map((d) => (
        <span key={`${d.at}-${d.reviewer.subject}`}>
          {d.action === 'approve' ? 'approved' : d.action === 'deny' ? 'denied' : 'modified'} by{' '}
          <strong>{d.reviewer.name ?? d.reviewer.subject}</strong>
          {d.rationale && <q>{d.rationale}</q>}
        </span>
      ))}
    </div>
  );
}

/** The captured (masked, capped) result the gateway recorded, in its shape. */
function ResultTable({ result }: { result: CapturedResult }) {
  if (result.kind === 'terminal') {
    const text = result.events
      .filter((event) => event[1] === 'o')
      .map((event) => event[2])
      .join('');
    return (
      <div className="result">
        <pre className="result-text">{text}</pre>
        {result.truncated && (
          <p className="muted">Result capture was capped; the client was shown more.</p>
        )}
      </div>
    );
  }
  if (result.kind === 'exchange') {
    return (
      <div className="result">
        <p className="mono">
          {result.method} {result.target} → {result.status ?? 'no response'}
        </p>
        {result.headers && Object.keys(result.headers).length > 0 && (
          <pre className="result-text">
            {Object.entries(result.headers)
              .map(([name, value]) => `${name}: ${value}`)
              .join('\n')}
          </pre>
        )}
        {result.body !== undefined && <pre className="result-text">{result.body}</pre>}
        {result.truncated && (
          <p className="muted">Result capture was capped; the client was shown more.</p>
        )}
      </div>
    );
  }
  if (!Array.isArray(result.columns) || !Array.isArray(result.rows)) return null;
  return (
    <div className="result">
      <table className="table table-compact">
        <thead>
          <tr>
            {result.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.rows.map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
            <tr key={i}>
              {row.map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                <td key={j} className={cell === null ? 'null' : undefined}>
                  {cell ?? 'NULL'}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {result.truncated && (
        <p className="muted">Result capture was capped; the client received more rows.</p>
      )}
    </div>
  );
}
