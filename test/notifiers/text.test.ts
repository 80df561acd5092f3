import { describe, expect, it } from 'vitest';
import {
  clip,
  eventTitle,
  outcomeLine,
  requesterLine,
  truncate,
} from '../../src/approvals/notifiers/text.js';
import { sampleEvent } from '../support/notifier-events.js';

/** No lone surrogate (String#isWellFormed is ES2024, beyond our lib setting). */
function wellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

describe('truncate', () => {
  it('keeps short text as is', () => {
    expect(truncate('SELECT 1', { maxChars: 100, maxLines: 5 })).toBe('SELECT 1');
  });

  it('cuts long text within the limit and says how much was cut', () => {
    const text = 'x'.repeat(5000);
    const out = truncate(text, { maxChars: 1000 });
    expect(out.length).toBeLessThanOrEqual(1000);
    const cut = Number(/\((\d+) more characters\)$/.exec(out)?.[1]);
    expect(out.indexOf('\n…') + cut).toBe(5000);
  });

  it('cuts by lines and prefers a line boundary', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const out = truncate(text, { maxChars: 10_000, maxLines: 3 });
    expect(out.startsWith('line 0\nline 1\nline 2\n…')).toBe(true);
  });

  it('never leaves half a surrogate pair', () => {
    const text = `${'a'.repeat(60)}${'😀'.repeat(100)}`;
    for (let max = 80; max < 100; max++) {
      const out = truncate(text, { maxChars: max });
      expect(wellFormed(out)).toBe(true);
      expect(out.length).toBeLessThanOrEqual(max);
    }
    expect(wellFormed(clip('ab😀', 4))).toBe(true);
    expect(wellFormed('a\uD83D')).toBe(false);
  });
});

describe('wording', () => {
  it('names the event, the requester and the outcome', () => {
    const event = sampleEvent({
      type: 'ticket.decided',
      ticket: {
        status: 'denied',
        decisions: [{ reviewer: 'Ann', action: 'deny', rationale: 'not now', at: 0 }],
      },
    });
    expect(eventTitle(event)).toBe('Review decided · prod-db');
    expect(requesterLine(event)).toBe('CI bot (ci-bot@corp) · agent');
    expect(outcomeLine(event)).toBe('Status: denied — deny by Ann: “not now”');
    const human = sampleEvent({
      ticket: { requester: { subject: 'jane', agent: false, groups: [] } },
    });
    expect(requesterLine(human)).toBe('jane · human');
  });
});
