import { classRisk } from '../sql-highlight.ts';

/** Who asked: name or subject, with an unmistakable agent/human badge and groups. */
export function Requester({
  who,
  showGroups = true,
}: {
  who: { subject: string; name?: string; groups: string[]; agent: boolean };
  showGroups?: boolean;
}) {
  return (
    <span className="requester">
      <span className={who.agent ? 'badge badge-agent' : 'badge badge-human'}>
        {who.agent ? 'agent' : 'human'}
      </span>
      <span className="requester-name" title={who.subject}>
        {who.name ?? who.subject}
      </span>
      {who.name && who.name !== who.subject && <span className="muted mono">{who.subject}</span>}
      {showGroups &&
        who.groups.map((group) => (
          <span key={group} className="chip chip-group">
            {group}
          </span>
        ))}
    </span>
  );
}

/** Statement classes from the gateway's parser; risky ones in red. */
export function Classes({ classes, whereAbsent }: { classes: string[]; whereAbsent?: boolean }) {
  if (classes.length === 0) return <span className="muted">no classes</span>;
  return (
    <span className="chips">
      {classes.map((cls) => {
        const risk = classRisk(cls, whereAbsent);
        return (
          <span key={cls} className={risk ? `chip chip-${risk}` : 'chip'}>
            {cls}
          </span>
        );
      })}
    </span>
  );
}

const STATUS_LABEL: Record<string, string> = {
  pending: 'Pending',
  approved: 'Approved',
  denied: 'Denied',
  modified: 'Modified',
  expired: 'Expired',
  cancelled: 'Cancelled',
  allow: 'Allowed',
  deny: 'Denied',
  review: 'Review',
};

export function Status({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}
