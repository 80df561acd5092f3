import { useEffect, useRef, useState } from 'react';
import type { Ticket } from './types.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/**
 * Ticket changes pushed by the gateway (server-sent events on /api/approvals/stream). The
 * browser's EventSource reconnects by itself; after a reconnect `onResync` re-lists, since
 * changes may have happened in between. No polling.
 */
export function useTicketStream(handlers: {
  onTicket: (ticket: Ticket) => void;
  onResync: () => void;
  onSignedOut: () => void;
}): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const ref = useRef(handlers);
  ref.current = handlers;

  useEffect(() => {
    const source = new EventSource('/api/approvals/stream', { withCredentials: true });
    let opened = false;
    source.addEventListener('ready', () => {
      setState('live');
      if (opened) ref.current.onResync();
      opened = true;
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
      setState(source.readyState === EventSource.CLOSED ? 'reconnecting' : 'reconnecting');
    });
    return () => source.close();
  }, []);
  return state;
}
