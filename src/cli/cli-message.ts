/**
 * One line for stderr with the `gatehouse:` prefix exactly once: messages that come from the
 * gateway (notices, errors) already carry it.
 */
export function cliMessage(text: string): string {
  return `${text.startsWith('gatehouse: ') ? text : `gatehouse: ${text}`}\n`;
}

/** The text without a leading `gatehouse: `, to embed a gateway message in a CLI line. */
export function unprefixed(text: string): string {
  return text.startsWith('gatehouse: ') ? text.slice('gatehouse: '.length) : text;
}
