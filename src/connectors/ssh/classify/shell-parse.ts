/**
 * A fail-closed parser for the POSIX/bash command language as an SSH `exec` request carries
 * it: it finds every simple command the text would run — through pipelines, lists (`;`, `&`,
 * `&&`, `||`, newlines), subshells, groups, `if`/`while`/`until` bodies, command and process
 * substitution (`$(…)`, backticks, `<(…)`), at any depth — and the words of each as the shell
 * would pass them after quote removal. A word the shell decides at run time (a parameter
 * expansion, a substitution, an unquoted glob or brace expansion) is `null`.
 *
 * It does not try to understand everything bash accepts: a construct it does not model
 * (`case`, `[[ ]]`, arithmetic, function definitions, here-documents, `coproc`, an unbalanced
 * quote…) is reported in `unsupported`, and the classifier treats the whole text as
 * unclassifiable. Nothing is ever guessed.
 *
 * (sh-syntax, mvdan/sh compiled to WebAssembly, was evaluated first: its JSON syntax tree
 * carries only statement positions, not the command nodes, so it cannot be walked.)
 */

/** One word after quote removal; `null` when the shell decides it at run time. */
export type ShellWord = string | null;

/** A redirection that feeds text to the command's standard input. */
export interface HereString {
  /** The text after quote removal (`null` when it holds expansions). */
  text: ShellWord;
}

/** One simple command: its words (assignments stripped) and what feeds its standard input. */
export interface SimpleCommand {
  words: ShellWord[];
  /** `<<<` here-strings, in order. */
  hereStrings: HereString[];
  /**
   * Set when its standard input is the output of the previous command in a pipeline: that
   * command, or `compound` when it was a subshell or group.
   */
  pipedFrom?: SimpleCommand | 'compound';
  /** True when an assignment prefixed it (`X=1 cmd`) or stood alone. */
  assignments: number;
}

export interface ParsedShell {
  commands: SimpleCommand[];
  /** Constructs the parser does not model; non-empty means: do not trust `commands`. */
  unsupported: string[];
}

const SEPARATOR_WORDS = new Set([
  'if',
  'then',
  'elif',
  'else',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '!',
  '{',
  '}',
  'time',
]);
const UNSUPPORTED_WORDS = new Set([
  'case',
  'esac',
  'select',
  'function',
  'coproc',
  '[[',
  ']]',
  '((',
  'in',
]);
const MAX_DEPTH = 16;

class Parser {
  readonly commands: SimpleCommand[] = [];
  readonly unsupported: string[] = [];
  readonly src: string;
  readonly depth: number;
  pos = 0;

  constructor(src: string, depth: number) {
    this.src = src;
    this.depth = depth;
  }

  fail(reason: string): void {
    if (!this.unsupported.includes(reason)) this.unsupported.push(reason);
  }

  peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  /** Parses a list until end of input or the closing `)` (for `$(` / `(`); returns at it. */
  parseList(closer: ')' | '' = ''): void {
    let previous: SimpleCommand | 'compound' | undefined;
    let piped = false;
    while (this.pos < this.src.length) {
      this.skipBlanks();
      const c = this.peek();
      if (c === '') break;
      if (c === '#') {
        while (this.pos < this.src.length && this.peek() !== '\n') this.pos++;
        continue;
      }
      if (c === ')') {
        if (closer === ')') return;
        this.fail('unbalanced )');
        this.pos++;
        continue;
      }
      if (c === '\n' || c === ';' || c === '&') {
        if (c === ';' && this.peek(1) === ';') this.fail('case clause');
        if (c === '&' && this.peek(1) === '>') {
          // `&>file` redirection at command start: part of a simple command.
          previous = this.parseSimple(piped ? previous : undefined);
          piped = false;
          continue;
        }
        this.pos += c === '&' && this.peek(1) === '&' ? 2 : 1;
        piped = false;
        continue;
      }
      if (c === '|') {
        this.pos += this.peek(1) === '|' || this.peek(1) === '&' ? 2 : 1;
        piped = this.src[this.pos - 1] !== '|' || this.src[this.pos - 2] !== '|';
        continue;
      }
      if (c === '(') {
        if (this.peek(1) === '(') {
          this.fail('arithmetic command');
          this.pos += 2;
          continue;
        }
        this.pos++;
        this.nested(() => this.parseList(')'));
        if (this.peek() === ')') this.pos++;
        else this.fail('unclosed subshell');
        previous = 'compound';
        piped = false;
        continue;
      }
      const simple = this.parseSimple(piped ? previous : undefined);
      // A reserved word (`}`, `done`) closes a compound command: what it pipes is unknown.
      previous = simple ?? 'compound';
      piped = false;
    }
    if (closer === ')') this.fail('unclosed (');
  }

  nested(run: () => void): void {
    if (this.depth >= MAX_DEPTH) {
      this.fail('nesting too deep');
      return;
    }
    run();
  }

  skipBlanks(): void {
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && this.peek(1) === '\n') this.pos += 2;
      else break;
    }
  }

  /** A simple command, or a reserved word that only separates (returns undefined then). */
  parseSimple(pipedFrom: SimpleCommand | 'compound' | undefined): SimpleCommand | undefined {
    const command: SimpleCommand = { words: [], hereStrings: [], assignments: 0 };
    if (pipedFrom) command.pipedFrom = pipedFrom;
    while (this.pos < this.src.length) {
      this.skipBlanks();
      const c = this.peek();
      if (c === '' || c === '\n' || c === ';' || c === '|' || c === ')' || c === '#') break;
      if (c === '&') {
        if (this.peek(1) === '>') {
          this.pos += this.peek(2) === '>' ? 3 : 2;
          this.redirectTarget(command);
          continue;
        }
        break;
      }
      if (c === '(') {
        if (command.words.length > 0) this.fail('function definition');
        else this.fail('unexpected (');
        this.pos++;
        continue;
      }
      if (this.tryRedirect(command)) continue;
      const start = this.pos;
      const word = this.readWord();
      const raw = this.src.slice(start, this.pos);
      if (command.words.length === 0) {
        if (SEPARATOR_WORDS.has(raw)) {
          if (command.assignments > 0) this.fail(`reserved word ${raw} after an assignment`);
          return undefined;
        }
        if (UNSUPPORTED_WORDS.has(raw)) {
          this.fail(`${raw} construct`);
          continue;
        }
        if (raw === 'for') {
          this.skipForHeader();
          return undefined;
        }
        if (/^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(raw)) {
          command.assignments++;
          if (raw.includes('=(')) this.fail('array assignment');
          continue;
        }
      }
      command.words.push(word);
    }
    if (command.words.length > 0 || command.assignments > 0 || command.hereStrings.length > 0) {
      this.commands.push(command);
      return command;
    }
    return undefined;
  }

  /** `for NAME [in WORDS]` up to the separator; the words are read (their substitutions count). */
  skipForHeader(): void {
    while (this.pos < this.src.length) {
      this.skipBlanks();
      const c = this.peek();
      if (c === '' || c === '\n' || c === ';' || c === '&' || c === '|' || c === ')') return;
      if (c === '(') {
        this.fail('arithmetic for');
        this.pos++;
        continue;
      }
      this.readWord();
    }
  }

  tryRedirect(command: SimpleCommand): boolean {
    const rest = this.src.slice(this.pos);
    const match = /^(\d*|\{[A-Za-z_][A-Za-z0-9_]*\})(<<<|<<-|<<|<>|<&|>&|>>|>\||<\(|>\(|<|>)/.exec(
      rest,
    );
    if (!match) return false;
    const [all, , op] = match;
    if (op === '<(' || op === '>(') {
      if (match[1] !== '') return false;
      this.pos += all.length;
      this.nested(() => this.subParser(')'));
      return true;
    }
    if (match[1]?.startsWith('{')) this.fail('named file descriptor');
    this.pos += all.length;
    if (op === '<<' || op === '<<-') {
      this.fail('here-document');
      this.skipBlanks();
      this.readWord();
      return true;
    }
    if (op === '<<<') {
      this.skipBlanks();
      command.hereStrings.push({ text: this.readWord() });
      return true;
    }
    this.redirectTarget(command);
    return true;
  }

  redirectTarget(_command: SimpleCommand): void {
    this.skipBlanks();
    const c = this.peek();
    if (c === '' || c === '\n' || c === ';' || c === '|' || c === '&' || c === ')' || c === '(') {
      if (c === '(') this.fail('process substitution as a target');
      else if (!(c === '&' || c === '')) this.fail('redirection without a target');
      return;
    }
    this.readWord();
  }

  /** Parses `$(…)`/`<(…)` content with a parser of its own, up to and past the `)`. */
  subParser(closer: ')'): void {
    const inner = new Parser(this.src, this.depth + 1);
    inner.pos = this.pos;
    inner.parseList(closer);
    this.absorb(inner);
    this.pos = inner.pos;
    if (this.peek() === ')') this.pos++;
    else this.fail('unclosed substitution');
  }

  absorb(inner: Parser): void {
    this.commands.push(...inner.commands);
    for (const reason of inner.unsupported) this.fail(reason);
  }

  /** Parses a separate text (backtick content) as commands. */
  parseText(text: string): void {
    this.nested(() => {
      const inner = new Parser(text, this.depth + 1);
      inner.parseList();
      this.absorb(inner);
    });
  }

  /** One word, quote-removed; null when any part is decided at run time. */
  readWord(): ShellWord {
    let value = '';
    let dynamic = false;
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (' \t\n;&|()<>'.includes(c)) {
        // `<(`/`>(` inside a word are process substitutions in bash; treat them as word ends.
        break;
      }
      if (c === '\\') {
        const next = this.peek(1);
        this.pos += 2;
        if (next === '\n' || next === '') continue;
        value += next;
        continue;
      }
      if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) {
          this.fail('unclosed single quote');
          this.pos = this.src.length;
          return null;
        }
        value += this.src.slice(this.pos + 1, end);
        this.pos = end + 1;
        continue;
      }
      if (c === '"') {
        this.pos++;
        const part = this.readDoubleQuoted();
        if (part === null) dynamic = true;
        else value += part;
        continue;
      }
      if (c === '$') {
        const part = this.readDollar(false);
        if (part === null) dynamic = true;
        else value += part;
        continue;
      }
      if (c === '`') {
        this.readBackticks();
        dynamic = true;
        continue;
      }
      if (c === '*' || c === '?' || c === '[') {
        dynamic = true;
      } else if (c === '{' && /^\{[^}\s]*(,|\.\.)[^}\s]*\}/.test(this.src.slice(this.pos))) {
        dynamic = true; // brace expansion
      } else if ((c === '+' || c === '@' || c === '!') && this.peek(1) === '(') {
        this.fail('extended glob');
      } else if (c === '~' && value === '') {
        dynamic = true; // tilde expansion: the home directory decides
      }
      value += c;
      this.pos++;
    }
    return dynamic ? null : value;
  }

  /** After the opening `"`: the text up to the closing one; null when it expands anything. */
  readDoubleQuoted(): ShellWord {
    let value = '';
    let dynamic = false;
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === '"') {
        this.pos++;
        return dynamic ? null : value;
      }
      if (c === '\\') {
        const next = this.peek(1);
        this.pos += 2;
        if (next === '\n') continue;
        value += '$`"\\'.includes(next) ? next : `\\${next}`;
        continue;
      }
      if (c === '$') {
        const part = this.readDollar(true);
        if (part === null) dynamic = true;
        else value += part;
        continue;
      }
      if (c === '`') {
        this.readBackticks();
        dynamic = true;
        continue;
      }
      value += c;
      this.pos++;
    }
    this.fail('unclosed double quote');
    return null;
  }

  /** At a `$`: a literal `$`, `$'…'`, or an expansion (null, substitutions parsed). */
  readDollar(quoted: boolean): ShellWord {
    const next = this.peek(1);
    if (next === '(') {
      if (this.peek(2) === '(') {
        this.fail('arithmetic expansion');
        this.pos += 3;
        this.skipBalanced('(', ')');
        return null;
      }
      this.pos += 2;
      this.nested(() => this.subParser(')'));
      return null;
    }
    if (next === '{') {
      this.pos += 2;
      const start = this.pos;
      this.skipBalanced('{', '}');
      const body = this.src.slice(start, this.pos);
      if (/[`$]/.test(body)) this.fail('an expansion nested in a parameter expansion');
      return null;
    }
    if (next === "'" && !quoted) {
      this.pos += 2;
      return this.readAnsiC();
    }
    if (next === '"' && !quoted) {
      this.pos += 2;
      return this.readDoubleQuoted();
    }
    if (/[A-Za-z_]/.test(next)) {
      this.pos += 2;
      while (/[A-Za-z0-9_]/.test(this.peek())) this.pos++;
      return null;
    }
    if (/[0-9@*#?$!-]/.test(next) && next !== '') {
      this.pos += 2;
      return null;
    }
    this.pos++;
    return '$';
  }

  /** Skips to past the matching closer (for `${…}` and `$((…))`), quote-naive by design. */
  skipBalanced(open: string, close: string): void {
    let depth = 1;
    while (this.pos < this.src.length) {
      const c = this.peek();
      this.pos++;
      if (c === '\\') this.pos++;
      else if (c === open) depth++;
      else if (c === close && --depth === 0) return;
    }
    this.fail(`unclosed ${open}`);
  }

  readBackticks(): void {
    this.pos++;
    let inner = '';
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === '`') {
        this.pos++;
        this.parseText(inner);
        return;
      }
      if (c === '\\' && '$`\\'.includes(this.peek(1))) {
        inner += this.peek(1);
        this.pos += 2;
        continue;
      }
      inner += c;
      this.pos++;
    }
    this.fail('unclosed backquote');
  }

  /** `$'…'` with its escapes; null for escapes it does not decode. */
  readAnsiC(): ShellWord {
    let value = '';
    let dynamic = false;
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      a: '\x07',
      b: '\b',
      e: '\x1b',
      E: '\x1b',
      f: '\f',
      v: '\v',
      '\\': '\\',
      "'": "'",
      '"': '"',
      '?': '?',
    };
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === "'") {
        this.pos++;
        return dynamic ? null : value;
      }
      if (c === '\\') {
        const next = this.peek(1);
        const mapped = simple[next];
        if (mapped !== undefined) {
          value += mapped;
          this.pos += 2;
          continue;
        }
        const hex = /^x([0-9A-Fa-f]{1,2})/.exec(this.src.slice(this.pos + 1));
        if (hex?.[1]) {
          value += String.fromCharCode(Number.parseInt(hex[1], 16));
          this.pos += 1 + hex[0].length;
          continue;
        }
        const octal = /^[0-7]{1,3}/.exec(this.src.slice(this.pos + 1));
        if (octal) {
          value += String.fromCharCode(Number.parseInt(octal[0], 8) & 0xff);
          this.pos += 1 + octal[0].length;
          continue;
        }
        dynamic = true; // \u, \c…: not decoded here
        this.pos += 2;
        continue;
      }
      value += c;
      this.pos++;
    }
    this.fail("unclosed $'");
    return null;
  }
}

/** Every simple command `text` would run, with what the parser could not model. */
export function parseShell(text: string, depth = 0): ParsedShell {
  const parser = new Parser(text, depth);
  if (text.includes('\0')) parser.fail('NUL byte');
  parser.nested(() => parser.parseList());
  return { commands: parser.commands, unsupported: parser.unsupported };
}
