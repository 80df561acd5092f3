/**
 * What an SSH `exec` request would run: every program, with its arguments, after looking
 * through the wrappers that run another command (`env`, `sudo`, `nohup`, `timeout`, `xargs`,
 * `find -exec`…) and the shells that run a string (`sh -c`, `bash -c`, a here-string or literal
 * `echo` piped into a shell), recursively. Words decided at run time in command position, and
 * programs that run code given as text (`eval`, `python -c`, `perl -e`…), make the request
 * unclassifiable: policy then applies the most restrictive rule that could match.
 */

import { type ParsedShell, parseShell, type ShellWord, type SimpleCommand } from './shell-parse.js';

/** One program the text would run: its words (`null` = decided at run time). */
export type Invocation = ShellWord[];

export interface ShellClassification {
  /** Every program invocation found, wrappers looked through (the wrapper itself is kept too). */
  invocations: Invocation[];
  /** Why the text cannot be classified; empty when it can. */
  unclassifiable: string[];
}

const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'ash',
  'yash',
  'fish',
  'rbash',
  'csh',
  'tcsh',
]);

/** Interpreters and the flags after which they take code as text. */
const CODE_FLAGS: Record<string, ReadonlySet<string>> = {
  python: new Set(['-c']),
  perl: new Set(['-e', '-E']),
  ruby: new Set(['-e']),
  node: new Set(['-e', '--eval', '-p', '--print']),
  nodejs: new Set(['-e', '--eval', '-p', '--print']),
  deno: new Set(['eval']),
  bun: new Set(['-e', '--eval']),
  php: new Set(['-r']),
  lua: new Set(['-e']),
  tclsh: new Set([]),
  osascript: new Set(['-e']),
  pwsh: new Set(['-c', '-command', '-Command']),
  Rscript: new Set(['-e']),
  gdb: new Set(['-ex', '--eval-command']),
};

/**
 * Programs that run commands given as text, through a shell or later (a scheduler, a terminal
 * multiplexer): what they run cannot be read from their arguments reliably.
 */
const RUNS_TEXT = new Set([
  'parallel',
  'tmux',
  'screen',
  'at',
  'batch',
  'crontab',
  'dtach',
  'byobu',
]);

/** Programs whose arguments are code, whatever the flags. */
const ALWAYS_CODE = new Set([
  'eval',
  'trap',
  'alias',
  'source',
  '.',
  'fc',
  'enable',
  'expect',
  'busybox-eval',
]);

/** Wrappers that run the rest of their arguments as a command, with the options that take a value. */
const WRAPPERS: Record<
  string,
  { valueOptions: ReadonlySet<string>; firstPositionalIsValue?: number }
> = {
  command: { valueOptions: new Set() },
  builtin: { valueOptions: new Set() },
  exec: { valueOptions: new Set(['-a']) },
  nohup: { valueOptions: new Set() },
  nice: { valueOptions: new Set(['-n', '--adjustment']) },
  ionice: { valueOptions: new Set(['-c', '-n', '-p', '-P', '-u', '--class', '--classdata']) },
  time: { valueOptions: new Set(['-f', '-o', '--format', '--output']) },
  timeout: {
    valueOptions: new Set(['-s', '-k', '--signal', '--kill-after']),
    firstPositionalIsValue: 1,
  },
  sudo: {
    valueOptions: new Set([
      '-u',
      '-g',
      '-C',
      '-D',
      '-h',
      '-p',
      '-r',
      '-t',
      '-U',
      '-T',
      '-R',
      '--user',
      '--group',
      '--host',
      '--prompt',
      '--role',
      '--type',
      '--other-user',
      '--command-timeout',
      '--chdir',
      '--chroot',
      '--close-from',
    ]),
  },
  doas: { valueOptions: new Set(['-u', '-C']) },
  setsid: { valueOptions: new Set() },
  stdbuf: { valueOptions: new Set(['-i', '-o', '-e']) },
  chroot: { valueOptions: new Set(['--userspec', '--groups']), firstPositionalIsValue: 1 },
  flock: {
    valueOptions: new Set(['-w', '-E', '--timeout', '--conflict-exit-code']),
    firstPositionalIsValue: 1,
  },
  taskset: { valueOptions: new Set(['-p']), firstPositionalIsValue: 1 },
  chrt: { valueOptions: new Set(), firstPositionalIsValue: 1 },
  strace: {
    valueOptions: new Set([
      '-e',
      '-o',
      '-p',
      '-s',
      '-u',
      '-E',
      '-P',
      '-I',
      '-a',
      '-b',
      '-X',
      '-O',
      '-S',
    ]),
  },
  ltrace: { valueOptions: new Set(['-e', '-o', '-p', '-s', '-u', '-n', '-a', '-l', '-x']) },
  unbuffer: { valueOptions: new Set() },
  runuser: { valueOptions: new Set(['-u', '-g', '-G', '--user', '--group', '--supp-group']) },
  'systemd-run': {
    valueOptions: new Set([
      '-u',
      '-p',
      '-E',
      '-H',
      '-M',
      '--unit',
      '--property',
      '--setenv',
      '--uid',
      '--gid',
      '--nice',
      '--working-directory',
      '--description',
      '--slice',
    ]),
  },
  nsenter: { valueOptions: new Set(['-t', '-S', '-G', '--target', '--setuid', '--setgid']) },
  unshare: { valueOptions: new Set() },
  watch: { valueOptions: new Set(['-n', '-d', '--interval', '--differences']) },
  busybox: { valueOptions: new Set() },
  rlwrap: { valueOptions: new Set(['-f', '-H', '-l', '-P', '-s', '-t', '-w']) },
  eatmydata: { valueOptions: new Set() },
  proxychains: { valueOptions: new Set(['-f']) },
  proxychains4: { valueOptions: new Set(['-f']) },
  torsocks: { valueOptions: new Set(['-u', '-p', '-a', '-P']) },
  firejail: { valueOptions: new Set() },
  faketime: { valueOptions: new Set(['-m', '-f']), firstPositionalIsValue: 1 },
  valgrind: { valueOptions: new Set() },
  catchsegv: { valueOptions: new Set() },
  xargs: {
    valueOptions: new Set([
      '-a',
      '-d',
      '-E',
      '-e',
      '-I',
      '-i',
      '-L',
      '-l',
      '-n',
      '-P',
      '-s',
      '--arg-file',
      '--delimiter',
      '--max-args',
      '--max-procs',
      '--max-lines',
      '--max-chars',
      '--replace',
      '--eof',
      '--process-slot-var',
    ]),
  },
};

const MAX_DEPTH = 8;

/** The program's name without its directory (`/usr/bin/rm` → `rm`); versions kept (`python3`). */
export function programName(word: string): string {
  const base = word.slice(word.lastIndexOf('/') + 1);
  return base;
}

/** `python3.11` → `python`; names in CODE_FLAGS match with a version suffix. */
function interpreterFamily(name: string): string | undefined {
  if (Object.hasOwn(CODE_FLAGS, name)) return name;
  const stripped = name.replace(/[0-9.]+$/, '');
  return Object.hasOwn(CODE_FLAGS, stripped) ? stripped : undefined;
}

class Classifier {
  readonly invocations: Invocation[] = [];
  readonly reasons: string[] = [];

  fail(reason: string): void {
    if (!this.reasons.includes(reason)) this.reasons.push(reason);
  }

  script(text: string, depth: number): void {
    if (depth > MAX_DEPTH) {
      this.fail('shell strings nested too deep');
      return;
    }
    const parsed: ParsedShell = parseShell(text);
    for (const reason of parsed.unsupported) this.fail(`not modelled: ${reason}`);
    for (const command of parsed.commands) this.simple(command, depth);
  }

  simple(command: SimpleCommand, depth: number): void {
    if (command.words.length === 0) return; // assignments or redirections only
    this.argv(command.words, command, depth);
  }

  /** One argv: recorded, then looked through when it runs another command or code. */
  argv(words: ShellWord[], command: SimpleCommand | undefined, depth: number): void {
    if (words.length === 0) return;
    this.invocations.push(words);
    const first = words[0];
    if (first === null || first === undefined) {
      this.fail('the program is decided at run time');
      return;
    }
    if (first === '') {
      this.fail('an empty program name');
      return;
    }
    const name = programName(first);
    const args = words.slice(1);
    if (/\s/.test(first)) {
      // `sudo -s 'rm x'` and friends hand the word to a shell: it is not one program.
      this.fail('a program name with spaces');
      return;
    }
    if (RUNS_TEXT.has(name)) {
      this.fail(`${name} runs commands given as text`);
      return;
    }
    if (name === 'flock' || name === 'runuser') {
      const at = args.findIndex((a) => a === '-c' || a === '--command');
      if (at >= 0) {
        this.stringArg(args[at + 1], depth, name);
        return;
      }
    }
    if (name === 'sg' || name === 'newgrp') {
      // `sg GROUP [-c] COMMAND`: the command is run by /bin/sh -c.
      const rest = args.filter((a) => a !== '-c').slice(1);
      if (args.some((a) => a === null)) this.fail(`${name}: an argument decided at run time`);
      else if (rest.length > 0) this.script(rest.join(' '), depth + 1);
      else if (name === 'newgrp' || args.length > 0) this.fail(`${name} opens a shell`);
      return;
    }
    if (ALWAYS_CODE.has(name)) {
      if (args.length > 0 || name === 'eval') this.fail(`${name} runs text as code`);
      return;
    }
    if (SHELLS.has(name)) {
      this.shell(name, args, command, depth);
      return;
    }
    const family = interpreterFamily(name);
    if (family !== undefined) {
      const flags = CODE_FLAGS[family] ?? new Set<string>();
      if (
        args.some(
          (a) =>
            a === null ||
            flags.has(a) ||
            [...flags].some((f) => f.startsWith('--') && a.startsWith(`${f}=`)),
        )
      ) {
        this.fail(`${name} is given code as text`);
      } else if (args.length === 0 || args.every((a) => a?.startsWith('-'))) {
        this.stdinCode(name, command, depth);
      }
      return;
    }
    if (name === 'awk' || name === 'gawk' || name === 'mawk' || name === 'nawk') {
      if (args.some((a) => a === null || /system|\||getline/.test(a)))
        this.fail(`${name} program can run commands`);
      return;
    }
    if (name === 'env') {
      this.env(args, depth);
      return;
    }
    if (name === 'su') {
      this.su(args, depth);
      return;
    }
    if (name === 'script') {
      this.scriptCommand(args, depth);
      return;
    }
    if (name === 'find') {
      this.find(args, depth);
      return;
    }
    const wrapper = WRAPPERS[name];
    if (wrapper) {
      if (name === 'watch') {
        // watch joins its arguments and runs them with `sh -c`.
        const rest = this.afterOptions(args, wrapper.valueOptions, name);
        if (rest === undefined) return;
        if (rest.some((a) => a === null)) this.fail('watch: a command decided at run time');
        else this.stringArg(rest.join(' '), depth, name);
        return;
      }
      let rest = this.afterOptions(args, wrapper.valueOptions, name);
      if (rest === undefined) return;
      rest = rest.slice(wrapper.firstPositionalIsValue ?? 0);
      if (
        name === 'sudo' &&
        rest.length === 0 &&
        args.some((a) => a === '-s' || a === '-i' || a === '--shell' || a === '--login')
      ) {
        this.fail('sudo opens a shell that reads standard input');
        return;
      }
      if (name === 'xargs') {
        // xargs appends words read from standard input: the command runs with more arguments.
        this.argv(rest.length > 0 ? [...rest, null] : ['echo', null], undefined, depth);
        return;
      }
      this.argv(
        rest,
        name === 'exec' || name === 'command' || name === 'builtin' ? command : undefined,
        depth,
      );
    }
  }

  /**
   * Arguments after a wrapper's options, or undefined (and unclassifiable) when an option is
   * decided at run time. `--` ends the options.
   */
  afterOptions(
    args: ShellWord[],
    valueOptions: ReadonlySet<string>,
    name: string,
  ): ShellWord[] | undefined {
    let i = 0;
    while (i < args.length) {
      const arg = args[i];
      if (arg === null || arg === undefined) {
        this.fail(`${name}: an option decided at run time`);
        return undefined;
      }
      if (arg === '--') return args.slice(i + 1);
      if (!arg.startsWith('-') || arg === '-') return args.slice(i);
      i += optionWidth(arg, valueOptions);
    }
    return [];
  }

  shell(name: string, args: ShellWord[], command: SimpleCommand | undefined, depth: number): void {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === null || arg === undefined) {
        this.fail(`${name}: an argument decided at run time`);
        return;
      }
      if (arg === '--') break;
      if (arg === '-c' || (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg) && !arg.startsWith('--'))) {
        const script = args.slice(i + 1).find((a) => a === null || !a.startsWith('-'));
        this.stringArg(script, depth, name);
        return;
      }
      if (
        arg === '-o' ||
        arg === '+o' ||
        arg === '-O' ||
        arg === '+O' ||
        arg === '--rcfile' ||
        arg === '--init-file'
      ) {
        i++;
        continue;
      }
      if (!arg.startsWith('-') && !arg.startsWith('+')) return; // a script file: runs what the file holds
    }
    this.stdinCode(name, command, depth);
  }

  /** A program that reads code from standard input: a here-string or literal `echo` is read. */
  stdinCode(name: string, command: SimpleCommand | undefined, depth: number): void {
    if (!command) {
      this.fail(`${name} reads code from standard input`);
      return;
    }
    const fed: string[] = [];
    for (const here of command.hereStrings) {
      if (here.text === null) {
        this.fail(`${name} reads a here-string decided at run time`);
        return;
      }
      fed.push(here.text);
    }
    const from = command.pipedFrom;
    if (from !== undefined) {
      const text = from === 'compound' ? undefined : literalEcho(from.words);
      if (text === undefined) {
        this.fail(`${name} reads code from a pipe`);
        return;
      }
      fed.push(text);
    }
    if (fed.length === 0) {
      // Standard input is the SSH channel itself: what the client sends later is not seen.
      this.fail(`${name} reads code from standard input`);
      return;
    }
    if (!SHELLS.has(name)) {
      this.fail(`${name} is given code as text`);
      return;
    }
    for (const text of fed) this.script(text, depth + 1);
  }

  stringArg(word: ShellWord | undefined, depth: number, name: string): void {
    if (word === undefined) {
      this.fail(`${name}: no command string`);
      return;
    }
    if (word === null) {
      this.fail(`${name}: a command string decided at run time`);
      return;
    }
    this.script(word, depth + 1);
  }

  env(args: ShellWord[], depth: number): void {
    let i = 0;
    while (i < args.length) {
      const arg = args[i];
      if (arg === null || arg === undefined) {
        this.fail('env: an argument decided at run time');
        return;
      }
      if (arg === '--') {
        i++;
        break;
      }
      if (
        arg === '-S' ||
        arg === '--split-string' ||
        arg.startsWith('--split-string=') ||
        (arg.startsWith('-S') && arg.length > 2)
      ) {
        const inline = arg.startsWith('--split-string=')
          ? arg.slice(15)
          : arg.startsWith('-S') && arg.length > 2
            ? arg.slice(2)
            : undefined;
        const text = inline ?? args[i + 1];
        const after = args.slice(inline === undefined ? i + 2 : i + 1);
        if (text === null || text === undefined || after.some((a) => a === null)) {
          this.fail('env -S: a string decided at run time');
          return;
        }
        this.script([text, ...after.map((a) => quote(a as string))].join(' '), depth + 1);
        return;
      }
      if (arg === '-u' || arg === '--unset' || arg === '-C' || arg === '--chdir') {
        i += 2;
        continue;
      }
      if (arg.startsWith('-') && arg !== '-') {
        i++;
        continue;
      }
      if (/^[^=]+=/.test(arg)) {
        i++;
        continue;
      }
      break;
    }
    this.argv(args.slice(i), undefined, depth);
  }

  /** `script -c STRING` (or `-qc STRING`, `-cSTRING`, `--command=STRING`) runs STRING in a shell. */
  scriptCommand(args: ShellWord[], depth: number): void {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === null || arg === undefined) {
        this.fail('script: an argument decided at run time');
        return;
      }
      if (arg === '--') return;
      if (arg === '--command' || arg.startsWith('--command=')) {
        if (arg === '--command') this.stringArg(args[i + 1], depth, 'script');
        else this.script(arg.slice(10), depth + 1);
        return;
      }
      const cluster = /^-([a-zA-Z]*)c(.*)$/.exec(arg);
      if (cluster && !arg.startsWith('--')) {
        if (cluster[2]) this.script(cluster[2], depth + 1);
        else this.stringArg(args[i + 1], depth, 'script');
        return;
      }
    }
  }

  su(args: ShellWord[], depth: number): void {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === null || arg === undefined) {
        this.fail('su: an argument decided at run time');
        return;
      }
      if (arg === '-c' || arg === '--command' || arg === '--session-command') {
        this.stringArg(args[i + 1], depth, 'su');
        return;
      }
      if (arg.startsWith('--command=')) {
        this.script(arg.slice(10), depth + 1);
        return;
      }
    }
    this.fail('su opens a shell that reads standard input');
  }

  find(args: ShellWord[], depth: number): void {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === '-exec' || arg === '-execdir' || arg === '-ok' || arg === '-okdir') {
        const end = args.findIndex((a, j) => j > i && (a === ';' || a === '+'));
        const inner = args.slice(i + 1, end < 0 ? undefined : end);
        this.argv(
          inner.map((a) => (a === '{}' ? null : a)),
          undefined,
          depth,
        );
        if (end < 0) {
          this.fail('find -exec without its terminator');
          return;
        }
        i = end;
      } else if (arg === '-delete') {
        this.invocations.push(['rm', null]);
      } else if (arg === null || arg === undefined) {
        // A run-time word could be `-exec`.
        this.fail('find: an expression decided at run time');
      }
    }
  }
}

/**
 * How many words an option takes: `--name=value` and flags one, a value option two; in a cluster
 * of short options (`-Eu root`) the first value option takes the rest of the cluster or, when it
 * ends the cluster, the next word.
 */
function optionWidth(arg: string, valueOptions: ReadonlySet<string>): number {
  if (arg.startsWith('--')) return arg.includes('=') || !valueOptions.has(arg) ? 1 : 2;
  if (valueOptions.has(arg)) return 2;
  for (let k = 1; k < arg.length; k++) {
    if (valueOptions.has(`-${arg[k]}`)) return k === arg.length - 1 ? 2 : 1;
  }
  return 1;
}

/** `echo`/`printf '%s\n'` with literal words: the text it writes into a pipe. */
function literalEcho(words: ShellWord[]): string | undefined {
  const [first, ...rest] = words;
  if (first === null || first === undefined) return undefined;
  const name = programName(first);
  if (rest.some((w) => w === null)) return undefined;
  const args = rest as string[];
  if (name === 'echo') return args.filter((a) => !/^-[neE]+$/.test(a)).join(' ');
  if (name === 'printf' && args.length >= 1 && args[0] !== undefined && !args[0].includes('%')) {
    return args[0].replace(/\\n/g, '\n');
  }
  if (name === 'printf' && (args[0] === '%s' || args[0] === '%s\\n'))
    return args.slice(1).join('\n');
  return undefined;
}

/** Single-quotes a word for re-parsing. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Every program `text` would run, and why it cannot be classified (if it cannot). */
export function classifyShell(text: string): ShellClassification {
  const classifier = new Classifier();
  classifier.script(text, 0);
  if (text.trim() === '') classifier.fail('an empty command');
  return { invocations: classifier.invocations, unclassifiable: classifier.reasons };
}
