import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { ApiError, api, query } from '../api.ts';
import { Requester } from '../components/badges.tsx';
import type { Route } from '../router.ts';
import { navigate } from '../router.ts';
import { formatSpan, formatTime, fromLocalInput, toMs } from '../time.ts';
import type { SessionSummary } from '../types.ts';

interface Filters {
  subject: string;
  connector: string;
  decision: string;
  since: string;
  until: string;
}

function filtersFrom(route: Route): Filters {
  const q = route.query;
  return {
    subject: q.get('subject') ?? '',
    connector: q.get('connector') ?? '',
    decision: q.get('decision') ?? '',
    since: q.get('since') ?? '',
    until: q.get('until') ?? '',
  };
}

function apiQuery(f: Filters) {
  const since = fromLocalInput(f.since);
  const until = fromLocalInput(f.until);
  return {
    subject: f.subject.trim() || undefined,
    connector: f.connector.trim() || undefined,
    decision: f.decision || undefined,
    since: since === undefined ? undefined : new Date(since).toISOString(),
    until: until === undefined ? undefined : new Date(until).toISOString(),
  };
}

/** Recorded sessions with filters (kept in the URL so a view can be shared) and evidence export. */
export function Sessions({ route }: { route: Route }) {
  const [filters, setFilters] = useState(() => filtersFrom(route));
  const [sessions, setSessions] = useState<SessionSummary[]>();
  const [error, setError] = useState<string>();
  const ids = {
    subject: useId(),
    connector: useId(),
    decision: useId(),
    since: useId(),
    until: useId(),
  };
  const routeQuery = route.query.toString();

  const load = useCallback(async (f: Filters) => {
    try {
      setSessions(
        await api<SessionSummary[]>(`/api/sessions${query({ ...apiQuery(f), limit: 200 })}`),
      );
      setError(undefined);
    } catch (err) {
      setSessions([]);
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }, []);

  useEffect(() => {
    const f = filtersFrom({ path: [], query: new URLSearchParams(routeQuery) });
    setFilters(f);
    void load(f);
  }, [routeQuery, load]);

  function apply(event: FormEvent) {
    event.preventDefault();
    navigate(`/sessions${query({ ...filters })}`);
  }

  const exportQuery = apiQuery(filters);
  const exportHref = (format: string) =>
    `/api/audit/export${query({ format, since: exportQuery.since, until: exportQuery.until })}`;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Sessions</h1>
        <div className="actions">
          <a className="btn" href={exportHref('jsonl')} download>
            Export JSONL
          </a>
          <a className="btn" href={exportHref('csv')} download>
            Export CSV
          </a>
        </div>
      </div>
      <form className="filters" onSubmit={apply} aria-label="Filter sessions">
        <div className="field">
          <label htmlFor={ids.subject}>Identity</label>
          <input
            id={ids.subject}
            value={filters.subject}
            placeholder="subject"
            onChange={(e) => setFilters({ ...filters, subject: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.connector}>Connector</label>
          <input
            id={ids.connector}
            value={filters.connector}
            placeholder="any"
            onChange={(e) => setFilters({ ...filters, connector: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.decision}>Decision</label>
          <select
            id={ids.decision}
            value={filters.decision}
            onChange={(e) => setFilters({ ...filters, decision: e.target.value })}
          >
            <option value="">any</option>
            <option value="allow">had allowed commands</option>
            <option value="review">had reviewed commands</option>
            <option value="deny">had denied commands</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.since}>From</label>
          <input
            id={ids.since}
            type="datetime-local"
            value={filters.since}
            onChange={(e) => setFilters({ ...filters, since: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.until}>To</label>
          <input
            id={ids.until}
            type="datetime-local"
            value={filters.until}
            onChange={(e) => setFilters({ ...filters, until: e.target.value })}
          />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
        </div>
      </form>
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      {sessions && sessions.length === 0 && !error && <p className="empty">No sessions match.</p>}
      {sessions && sessions.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Identity</th>
              <th scope="col">Connector</th>
              <th scope="col">Client</th>
              <th scope="col" className="num">
                Commands
              </th>
              <th scope="col">Duration</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => {
              const start = toMs(s.startedAt) ?? 0;
              const end = toMs(s.endedAt);
              return (
                <tr key={s.id}>
                  <td>
                    <a href={`#/sessions/${encodeURIComponent(s.id)}`}>{formatTime(s.startedAt)}</a>
                  </td>
                  <td>
                    <Requester who={s.identity} showGroups={false} />
                  </td>
                  <td className="mono">{s.connector}</td>
                  <td className="mono">
                    {s.client.address}
                    {s.client.tls ? ' · TLS' : ''}
                  </td>
                  <td className="num">{s.commandCount}</td>
                  <td>
                    {end === undefined ? (
                      <span className="status status-pending">open</span>
                    ) : (
                      formatSpan(end - start)
                    )}
                  </td>
                  <td className="muted">{s.endReason ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
