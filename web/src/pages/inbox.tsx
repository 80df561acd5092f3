import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, api, query } from '../api.ts';
import { Classes, Requester, Status } from '../components/badges.tsx';
import { CommandView } from '../components/command-view.tsx';
import { TicketDetail } from '../components/ticket-detail.tsx';
import { WaitTime } from '../components/wait-time.tsx';
import { navigate } from '../router.ts';
import { lacksWhere } from '../sql-highlight.ts';
import { useTicketStream } from '../ticket-stream.ts';
import type { Ticket } from '../types.ts';

type Tab = 'pending' | 'all';

/** Pending tickets, live: list on the left (oldest first), the selected ticket on the right. */
export function Inbox({
  selectedId,
  onSignedOut,
}: {
  selectedId?: string;
  onSignedOut: () => void;
}) {
  const [tab, setTab] = useState<Tab>('pending');
  const [tickets, setTickets] = useState(() => new Map<string, Ticket>());
  const [error, setError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const [loaded, setLoaded] = useState(false);

  const upsert = useCallback((ticket: Ticket) => {
    setTickets((before) => new Map(before).set(ticket.id, ticket));
  }, []);

  const load = useCallback(async () => {
    try {
      const list = await api<Ticket[]>(
        `/api/approvals${query({ status: tab === 'pending' ? 'pending' : undefined, limit: 200 })}`,
      );
      setTickets(new Map(list.map((t) => [t.id, t])));
      setError(undefined);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setLoaded(true);
    }
  }, [tab]);

  useEffect(() => {
    void load();
  }, [load]);

  const stream = useTicketStream({
    onTicket: (ticket) => {
      setTickets((before) => {
        if (!before.has(ticket.id) && ticket.status === 'pending') {
          setAnnouncement(
            `New ticket from ${ticket.requester.name ?? ticket.requester.subject} on ${ticket.connector}`,
          );
        }
        return new Map(before).set(ticket.id, ticket);
      });
    },
    onResync: () => void load(),
    onSignedOut,
  });

  const visible = useMemo(() => {
    const list = [...tickets.values()].filter(
      (t) => tab === 'all' || t.status === 'pending' || t.id === selectedId,
    );
    return tab === 'pending'
      ? list.sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      : list.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }, [tickets, tab, selectedId]);
  const pendingCount = [...tickets.values()].filter((t) => t.status === 'pending').length;

  useEffect(() => {
    document.title = pendingCount > 0 ? `(${pendingCount}) Inbox · Gatehouse` : 'Inbox · Gatehouse';
  }, [pendingCount]);

  // A linked ticket that is not in the list (decided, or another page of history): fetch it.
  useEffect(() => {
    if (!selectedId || tickets.has(selectedId) || !loaded) return;
    api<Ticket>(`/api/approvals/${encodeURIComponent(selectedId)}`).then(upsert, (err: unknown) =>
      setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, [selectedId, tickets, loaded, upsert]);

  const selected =
    (selectedId && tickets.get(selectedId)) ||
    (!selectedId ? visible.find((t) => t.status === 'pending') : undefined);

  return (
    <div className="inbox">
      <section className="inbox-list" aria-labelledby="inbox-title">
        <div className="list-head">
          <h1 id="inbox-title">Inbox</h1>
          <span className={`live live-${stream}`} role="status">
            {stream === 'live' ? 'Live' : stream === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
        </div>
        <div className="tabs" role="tablist" aria-label="Tickets shown">
          <button
            type="button"
            role="tab"
            aria-selected={tab === 'pending'}
            className={tab === 'pending' ? 'tab tab-on' : 'tab'}
            onClick={() => setTab('pending')}
          >
            Pending <span className="count">{pendingCount}</span>
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === 'all'}
            className={tab === 'all' ? 'tab tab-on' : 'tab'}
            onClick={() => setTab('all')}
          >
            Recent
          </button>
        </div>
        {error && (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        )}
        {loaded && visible.length === 0 && !error && (
          <p className="empty">
            {tab === 'pending'
              ? 'Nothing is waiting for review. New tickets appear here as they are held.'
              : 'No tickets yet.'}
          </p>
        )}
        <ul className="ticket-list">
          {visible.map((ticket) => (
            <li key={ticket.id}>
              <a
                href={`#/approvals/${encodeURIComponent(ticket.id)}`}
                className={
                  ticket.id === selected?.id ? 'ticket-item ticket-item-on' : 'ticket-item'
                }
                aria-current={ticket.id === selected?.id ? 'true' : undefined}
              >
                <span className="ticket-item-top">
                  <Requester who={ticket.requester} showGroups={false} />
                  <span className="mono muted">{ticket.connector}</span>
                </span>
                <CommandView text={ticket.command} compact />
                <span className="ticket-item-bottom">
                  <Classes classes={ticket.classes} whereAbsent={lacksWhere(ticket.command)} />
                  {ticket.status === 'pending' ? (
                    <WaitTime createdAt={ticket.createdAt} expiresAt={ticket.expiresAt} pending />
                  ) : (
                    <Status status={ticket.status} />
                  )}
                </span>
              </a>
            </li>
          ))}
        </ul>
        <div className="sr-only" aria-live="polite">
          {announcement}
        </div>
      </section>
      <section className="inbox-detail" aria-label="Selected ticket">
        {selected ? (
          <TicketDetail
            ticket={selected}
            onDecided={(ticket) => {
              upsert(ticket);
              if (!selectedId) navigate(`/approvals/${ticket.id}`);
            }}
          />
        ) : (
          <p className="empty">
            {selectedId ? 'Loading ticket…' : 'Select a ticket to review it.'}
          </p>
        )}
      </section>
    </div>
  );
}
