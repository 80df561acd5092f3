import type { TicketEvent, TicketEventType } from './types.js';

/** Shared wording for the chat formatters, so Slack and Teams say the same thing. */

const TITLES: Record<TicketEventType, string> = {
  'ticket.created': 'Review requested',
  'ticket.decided': 'Review decided',
  'ticket.expired': 'Review expired',
  'grant.revoked': 'Grant revoked',
};

/** `Review requested · prod-db` */
export function eventTitle(event: TicketEvent): string {
  return `${TITLES[event.type] ?? 'Ticket update'} · ${event.ticket.connector}`;
}

/** `Jane Doe (jane@corp)`, or the subject alone when there is no other name. */
export function requesterName(event: TicketEvent): string {
  const { name, subject } = event.ticket.requester;
  return name && name !== subject ? `${name} (${subject})` : subject;
}

/** `Jane Doe (jane@corp) · human` or `ci-bot · agent`. */
export function requesterLine(event: TicketEvent): string {
  return `${requesterName(event)} · ${event.ticket.requester.agent ? 'agent' : 'human'}`;
}

/** The requester kind with an emoji, for chat surfaces. */
export function requesterBadge(agent: boolean): string {
  return agent ? '🤖 agent' : '👤 human';
}

/** `approved by Ann, Bob` style summary of the decisions, or the status alone. */
export function outcomeLine(event: TicketEvent): string {
  const decisions = event.ticket.decisions ?? [];
  if (decisions.length === 0) return `Status: ${event.ticket.status}`;
  const parts = decisions.map(
    (d) => `${d.action} by ${d.reviewer}${d.rationale ? `: “${d.rationale}”` : ''}`,
  );
  return `Status: ${event.ticket.status} — ${parts.join('; ')}`;
}

/** ISO time without milliseconds, in UTC: what a reviewer in any time zone can read. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export interface TruncateLimits {
  maxChars: number;
  maxLines?: number;
}

/**
 * Shortens text to the limits, on a line boundary when one is near, and says how much was
 * cut. Never splits a surrogate pair. The result, marker included, fits `maxChars`.
 */
export function truncate(text: string, limits: TruncateLimits): string {
  const lines = text.split('\n');
  const tooManyLines = limits.maxLines !== undefined && lines.length > limits.maxLines;
  if (!tooManyLines && text.length <= limits.maxChars) return text;
  let kept = tooManyLines ? lines.slice(0, limits.maxLines).join('\n') : text;
  const marker = (cut: number) => `\n… (${cut} more characters)`;
  const room = limits.maxChars - marker(text.length).length;
  if (kept.length > room) {
    kept = kept.slice(0, Math.max(0, room));
    const newline = kept.lastIndexOf('\n');
    if (newline > room * 0.8) kept = kept.slice(0, newline);
  }
  const last = kept.charCodeAt(kept.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) kept = kept.slice(0, -1);
  return `${kept}${marker(text.length - kept.length)}`;
}

/** Shortens a single-line label (no marker line) to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = text.slice(0, max - 1);
  const last = kept.charCodeAt(kept.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) kept = kept.slice(0, -1);
  return `${kept}…`;
}
