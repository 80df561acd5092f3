import { formatSpan, useNow } from '../time.ts';

/** How long a ticket has waited (until decided) and how long until it expires, ticking each second. */
export function WaitTime({
  createdAt,
  expiresAt,
  pending,
  decidedAt,
}: {
  createdAt: string;
  expiresAt: string;
  pending: boolean;
  /** When a decided ticket stopped waiting (its last decision). */
  decidedAt?: string;
}) {
  const now = useNow();
  const created = Date.parse(createdAt);
  const expires = Date.parse(expiresAt);
  const left = expires - now;
  const urgent = pending && left < 5 * 60_000;
  const end = pending ? now : decidedAt ? Date.parse(decidedAt) : Math.min(now, expires);
  return (
    <span className="wait">
      <span title={`held since ${new Date(created).toLocaleString()}`}>
        waited <strong>{formatSpan(end - created)}</strong>
      </span>
      {pending && (
        <span
          className={urgent ? 'expiry expiry-urgent' : 'expiry'}
          title={`expires ${new Date(expires).toLocaleString()}`}
        >
          {left > 0 ? (
            <>
              expires in <strong>{formatSpan(left)}</strong>
            </>
          ) : (
            'expired'
          )}
        </span>
      )}
    </span>
  );
}
