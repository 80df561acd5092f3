import { compileGlob } from '../../../policy/glob.js';
import { type Invocation, programName } from './shell-classify.js';

/**
 * A `command:` pattern of an SSH rule, e.g. `rm *` or `systemctl stop *`: the first word is a
 * glob over the program (its name, `rm`, or its path, `/bin/rm`), the rest a glob over the
 * arguments joined by single spaces. A pattern that names only a program matches it with any
 * arguments; a trailing ` *` also matches none. An invocation with an argument decided at run
 * time matches any pattern whose program matches (the argument could be anything).
 */
export function compileCommandPattern(pattern: string): (invocation: Invocation) => boolean {
  const trimmed = pattern.trim();
  const space = trimmed.search(/\s/);
  const programGlob = compileGlob(space < 0 ? trimmed : trimmed.slice(0, space));
  const argsPattern = space < 0 ? undefined : trimmed.slice(space).trim().replace(/\s+/g, ' ');
  const argsGlob = argsPattern === undefined ? undefined : compileGlob(argsPattern);
  const noArgsToo = argsPattern === '*' || argsPattern?.endsWith(' *');
  const argsPrefixGlob =
    noArgsToo && argsPattern !== '*' && argsPattern !== undefined
      ? compileGlob(argsPattern.slice(0, -2))
      : undefined;
  return (invocation) => {
    const [first, ...args] = invocation;
    if (first === null || first === undefined) return true;
    if (!programGlob(programName(first)) && !programGlob(first)) return false;
    if (argsGlob === undefined) return true;
    if (args.some((a) => a === null)) return true;
    const joined = (args as string[]).join(' ');
    if (argsGlob(joined)) return true;
    if (noArgsToo && (argsPattern === '*' ? joined === '' : argsPrefixGlob?.(joined))) return true;
    return false;
  };
}
