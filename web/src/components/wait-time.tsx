import { formatSpan, useNow } from '../time.ts';

/** How long a ticket has waited and how long until it expires, ticking each second. */
export function WaitTime({
  createdAt,
  expiresAt,
  pending,
}: {
  createdAt: string;
  expiresAt: string;
  pending: boolean;
}) {
  const now = useNow();
  const created = Date.parse(createdAt);
  const expires = Date.parse(expiresAt);
  const left = expires - now;
  const urgent = pending && left < 5 * 60_000;
  return (
    <span className="wait">
      <span title={`created ${new Date(created).toLocaleString()}`}>
        waited <strong>{formatSpan((pending ? now : Math.min(now, expires)) - created)}</strong>
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
