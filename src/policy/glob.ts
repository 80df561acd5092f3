/**
 * Compiles a glob (`*` any run of characters, `?` one character, everything else literal) into
 * an anchored, case-sensitive matcher. Used for target names (`database`, `namespace`) and
 * command lines, where an operator writes `prod-*` or `rm *`.
 */
export function compileGlob(pattern: string): (value: string) => boolean {
  if (!/[*?]/.test(pattern)) return (value) => value === pattern;
  const source = pattern.replace(/[.+^${}()|[\]\\*?]/g, (char) =>
    char === '*' ? '[\\s\\S]*' : char === '?' ? '[\\s\\S]' : `\\${char}`,
  );
  const regex = new RegExp(`^${source}$`, 'u');
  return (value) => regex.test(value);
}

/** A matcher that holds when any of `patterns` matches. */
export function compileGlobs(patterns: readonly string[]): (value: string) => boolean {
  const matchers = patterns.map(compileGlob);
  return (value) => matchers.some((match) => match(value));
}
