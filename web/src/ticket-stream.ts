import { useEffect, useRef, useState } from 'react';
import type { Ticket } from './types.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/** After the browser gives up on a stream (e.g. a 401 or 503), a new one is tried this late. */
const RETRY_MS = 5_000;

/**
 * Ticket changes pushed by the gateway (server-sent events on /api/approvals/stream). The
 * browser's EventSource reconnects by itself after a dropped connection; on every (re)connect
 * `onResync` re-lists, since changes may have happened while no stream was open. When the server refused the
 * stream outright, `onSignedOut` lets the app check the session, and a new stream is opened a
 * little later. No polling of the ticket list.
 */
export function useTicketStream(handlers: {
  onTicket: (ticket: Ticket) => void;
  onResync: () => void;
  onSignedOut: () => void;
}): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const [attempt, setAttempt] = useState(0);
  const ref = useRef(handlers);
  ref.current = handlers;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` only re-opens the stream
  useEffect(() => {
    const source = new EventSource('/api/approvals/stream', { withCredentials: true });
    let retry: number | undefined;
    // Re-list on every (re)connect: changes made before the stream was up are not replayed.
    source.addEventListener('ready', () => {
      setState('live');
      ref.current.onResync();
    });
    source.addEventListener('ticket', (event) => {
      ref.current.onTicket(JSON.parse((event as MessageEvent<string>).data) as Ticket);
    });
    source.addEventListener('resync', () => ref.current.onResync());
    source.addEventListener('signed-out', () => {
      source.close();
      ref.current.onSignedOut();
    });
    source.addEventListener('error', () => {
      setState('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        ref.current.onSignedOut();
        retry = window.setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
      }
    });
    return () => {
      window.clearTimeout(retry);
      source.close();
    };
  }, [attempt]);
  return state;
}
