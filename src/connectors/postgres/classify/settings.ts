import type { StatementFacts } from './facts.js';

/** A setting's new value: text when given as a constant, `reset` for RESET/DEFAULT, `unknown` otherwise. */
export type SettingValue = string | { reset: true } | { unknown: true };

const TRUE_WORDS = /^(t|tr|tru|true|y|ye|yes|on|1)$/i;

/**
 * Classifies a change of a run-time setting (SET, RESET, set_config()).
 *
 * Two settings change how the server reads the SQL that follows, and so could make it read
 * something other than what this classifier parsed: `standard_conforming_strings = off` turns
 * backslashes in '…' literals into escapes, and a `client_encoding` other than UTF-8 lets bytes
 * that the gateway decodes as a backslash or quote belong to a multi-byte character. Changing
 * either away from the safe value is unclassifiable. RESET returns to the session's start value,
 * which the Postgres session pins (UTF8, standard strings on) when it connects to the target.
 */
export function classifySetting(name: string, value: SettingValue, facts: StatementFacts): void {
  facts.add('set');
  const setting = name.toLowerCase();
  if (setting === 'role' || setting === 'session_authorization') facts.add('admin');
  if (setting === 'standard_conforming_strings' && !isSafe(value, (v) => TRUE_WORDS.test(v))) {
    facts.add('admin');
    facts.markUnclassifiable();
  }
  if (setting === 'client_encoding' && !isSafe(value, isUtf8)) {
    facts.add('admin');
    facts.markUnclassifiable();
  }
}

function isSafe(value: SettingValue, safe: (text: string) => boolean): boolean {
  if (typeof value === 'string') return safe(value.trim());
  return 'reset' in value;
}

function isUtf8(text: string): boolean {
  const name = text.toLowerCase().replace(/[-_]/g, '');
  return name === 'utf8' || name === 'unicode';
}
