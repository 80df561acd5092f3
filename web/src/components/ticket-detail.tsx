import { lacksWhere } from '../sql-highlight.ts';
import { formatTime } from '../time.ts';
import type { Ticket } from '../types.ts';
import { Classes, Requester, Status } from './badges.tsx';
import { CommandView } from './command-view.tsx';
import { DecidePanel } from './decide-panel.tsx';
import { WaitTime } from './wait-time.tsx';

/** Everything a reviewer needs to decide one ticket, the command first. */
export function TicketDetail({
  ticket,
  onDecided,
}: {
  ticket: Ticket;
  onDecided: (t: Ticket) => void;
}) {
  const pending = ticket.status === 'pending';
  return (
    <article className="ticket-detail" aria-labelledby={`ticket-${ticket.id}-title`}>
      <header className="detail-head">
        <div>
          <h2 id={`ticket-${ticket.id}-title`}>
            {ticket.scope === 'grant' ? 'Access grant' : 'Held command'} on{' '}
            <span className="mono">{ticket.connector}</span>
          </h2>
          <div className="detail-sub">
            <Requester who={ticket.requester} />
          </div>
        </div>
        <div className="detail-status">
          <Status status={ticket.status} />
          <WaitTime
            createdAt={ticket.createdAt}
            expiresAt={ticket.expiresAt}
            pending={pending}
            decidedAt={ticket.decisions.at(-1)?.at}
          />
        </div>
      </header>

      {/* A central policy change (docs/policy.md): its command is the YAML document. */}
      <CommandView text={ticket.command} plain={ticket.connector === 'policy'} />
      {ticket.params.length > 0 && (
        <p className="params">
          <span className="muted">Parameters:</span>{' '}
          {ticket.params.map((p, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: parameters are positional
            <code key={i} className="param">
              ${i + 1} = {p === null ? 'NULL' : p}
            </code>
          ))}
        </p>
      )}

      <dl className="facts">
        <dt>Classification</dt>
        <dd>
          <Classes classes={ticket.classes} whereAbsent={lacksWhere(ticket.command)} />
        </dd>
        {ticket.reason && (
          <>
            <dt>Reason given</dt>
            <dd>{ticket.reason}</dd>
          </>
        )}
        <dt>Matched rule</dt>
        <dd className="mono">{ticket.rule}</dd>
        <dt>Reviewers</dt>
        <dd>
          {ticket.approvers.join(', ')} · {ticket.approvalsRequired} approval
          {ticket.approvalsRequired === 1 ? '' : 's'}
        </dd>
        <dt>Held since</dt>
        <dd>{formatTime(ticket.createdAt)}</dd>
        <dt>{pending ? 'Expires' : 'Expiry'}</dt>
        <dd>{formatTime(ticket.expiresAt)}</dd>
        <dt>Ticket</dt>
        <dd className="mono">{ticket.id}</dd>
      </dl>

      {ticket.executedCommand && ticket.executedCommand !== ticket.command && (
        <section aria-label="Command that runs">
          <h3>Runs instead (modified)</h3>
          <CommandView text={ticket.executedCommand} plain={ticket.connector === 'policy'} />
        </section>
      )}

      {/* Keyed: a different ticket starts with an empty form. */}
      <DecidePanel key={ticket.id} ticket={ticket} onDecided={onDecided} />

      {ticket.decisions.length > 0 && (
        <section aria-label="Decisions">
          <h3>Decisions</h3>
          <ol className="decisions">
            {ticket.decisions.map((d) => (
              <li key={`${d.at}-${d.reviewer.subject}-${d.action}`}>
                <span className={`decision-action decision-${d.action}`}>{d.action}</span>{' '}
                <strong>{d.reviewer.name ?? d.reviewer.subject}</strong>{' '}
                <span className="muted">{formatTime(d.at)}</span>
                {d.rationale && <blockquote>{d.rationale}</blockquote>}
                {d.command && <CommandView text={d.command} compact />}
              </li>
            ))}
          </ol>
        </section>
      )}
    </article>
  );
}
