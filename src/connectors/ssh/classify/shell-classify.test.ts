import { describe, expect, it } from 'vitest';
import { compileCommandPattern } from './command-pattern.js';
import { classifyShell } from './shell-classify.js';
import { parseShell } from './shell-parse.js';

const rm = compileCommandPattern('rm *');

/** What a `rm *` deny rule does to the text: unclassifiable texts meet it too. */
function verdict(text: string): 'denied' | 'unclassifiable' | 'allowed' {
  const result = classifyShell(text);
  if (result.unclassifiable.length > 0) return 'unclassifiable';
  return result.invocations.some(rm) ? 'denied' : 'allowed';
}

/** Attempts to run rm past a `rm *` deny rule: each is found (denied) or refused as unclassifiable. */
const BYPASSES: Array<[string, 'denied' | 'unclassifiable']> = [
  ['rm -rf /', 'denied'],
  ['rm', 'denied'],
  ['/bin/rm -rf /', 'denied'],
  ['/usr/bin/rm x', 'denied'],
  ['./rm x', 'denied'],
  ['\\rm x', 'denied'],
  ["r''m x", 'denied'],
  ['r""m x', 'denied'],
  ["'rm' x", 'denied'],
  ['"rm" -rf /', 'denied'],
  ['r\\m x', 'denied'],
  ["$'rm' x", 'denied'],
  ["$'\\x72m' x", 'denied'],
  ["$'\\162m' x", 'denied'],
  ['r\\\nm x', 'denied'],
  ['ls; rm x', 'denied'],
  ['ls\nrm x', 'denied'],
  ['ls && rm x', 'denied'],
  ['false || rm x', 'denied'],
  ['ls | rm x', 'denied'],
  ['ls |& rm x', 'denied'],
  ['ls & rm x', 'denied'],
  ['sleep 1 &rm x', 'denied'],
  ['(rm x)', 'denied'],
  ['((rm x))', 'unclassifiable'],
  ['{ rm x; }', 'denied'],
  ['( ( (rm x) ) )', 'denied'],
  ['echo $(rm x)', 'denied'],
  ['echo "$(rm x)"', 'denied'],
  ['echo `rm x`', 'denied'],
  ['echo "`rm x`"', 'denied'],
  ['echo $(echo $(rm x))', 'denied'],
  ['cat <(rm x)', 'denied'],
  ['ls > >(rm x)', 'denied'],
  ['x=$(rm a) ls', 'denied'],
  ['X=1 rm x', 'denied'],
  ['X=1 Y=2 /bin/rm x', 'denied'],
  ['if true; then rm x; fi', 'denied'],
  ['if rm x; then :; fi', 'denied'],
  ['while true; do rm x; done', 'denied'],
  ['until false; do rm x; done', 'denied'],
  ['for f in a b; do rm $f; done', 'denied'],
  ['for f in $(rm x); do :; done', 'denied'],
  ['! rm x', 'denied'],
  ['time rm x', 'denied'],
  ['sh -c "rm x"', 'denied'],
  ["bash -c 'rm -rf /'", 'denied'],
  ["bash -lc 'rm -rf /'", 'denied'],
  ["bash -e -c 'rm -rf /'", 'denied'],
  ["/bin/bash -c 'ls; rm -rf /'", 'denied'],
  ['bash -c "bash -c \\"rm x\\""', 'denied'],
  ['sh -c \'sh -c "sh -c rm"\'', 'denied'],
  ["zsh -c 'rm x'", 'denied'],
  ["dash -c 'rm x'", 'denied'],
  ['bash -c "$CMD"', 'unclassifiable'],
  ['bash <<< "rm x"', 'denied'],
  ["sh <<< 'rm -rf /'", 'denied'],
  ['bash <<< "$X"', 'unclassifiable'],
  ['echo "rm -rf /" | sh', 'denied'],
  ['echo rm x | bash', 'denied'],
  ["printf 'rm x\\n' | sh", 'denied'],
  ['cat script | sh', 'unclassifiable'],
  ['curl -s https://x | bash', 'unclassifiable'],
  ['(echo rm x) | sh', 'unclassifiable'],
  ['bash', 'unclassifiable'],
  ['sh -s', 'unclassifiable'],
  ['bash << EOF\nrm x\nEOF', 'unclassifiable'],
  ['env rm x', 'denied'],
  ['env -i PATH=/bin rm x', 'denied'],
  ['env -u HOME rm x', 'denied'],
  ['env -- rm x', 'denied'],
  ["env -S 'rm x'", 'denied'],
  ['env X=1 sh -c "rm x"', 'denied'],
  ['command rm x', 'denied'],
  ['command -p rm x', 'denied'],
  ['builtin command rm x', 'denied'],
  ['exec rm x', 'denied'],
  ['exec -a foo rm x', 'denied'],
  ['nohup rm x &', 'denied'],
  ['nice -n 10 rm x', 'denied'],
  ['ionice -c 3 rm x', 'denied'],
  ['timeout 5 rm x', 'denied'],
  ['timeout -s KILL 5 rm x', 'denied'],
  ['timeout --signal=KILL 5 rm x', 'denied'],
  ['sudo rm x', 'denied'],
  ['sudo -u root rm x', 'denied'],
  ['sudo -E -u root -- rm x', 'denied'],
  ['sudo sh -c "rm x"', 'denied'],
  ['sudo -s', 'unclassifiable'],
  ['sudo -i', 'unclassifiable'],
  ['doas rm x', 'denied'],
  ["su -c 'rm x' root", 'denied'],
  ['su root', 'unclassifiable'],
  ['setsid rm x', 'denied'],
  ['stdbuf -o0 rm x', 'denied'],
  ['chroot / rm x', 'denied'],
  ['flock /tmp/l rm x', 'denied'],
  ['strace -f rm x', 'denied'],
  ['busybox rm x', 'denied'],
  ["watch 'rm x'", 'denied'],
  ["script -qc 'rm x'", 'denied'],
  ["script -q -c 'rm x' /dev/null", 'denied'],
  ['sudo -Eu root rm x', 'denied'],
  ['sudo -uroot rm x', 'denied'],
  ['sudo --user=root rm x', 'denied'],
  ['nice -n10 rm x', 'denied'],
  ['timeout -sKILL 5 rm x', 'denied'],
  ['xargs -0 -n1 rm < list', 'denied'],
  ["script -c 'rm x' /dev/null", 'denied'],
  ['systemd-run rm x', 'denied'],
  ['runuser -u nobody -- rm x', 'denied'],
  ['sudo env nohup timeout 1 nice rm x', 'denied'],
  ['ls | xargs rm', 'denied'],
  ['ls | xargs -n 1 rm -f', 'denied'],
  ['ls | xargs -I{} rm {}', 'denied'],
  ['ls | xargs sh -c "rm x"', 'denied'],
  ['find . -exec rm {} \\;', 'denied'],
  ['find . -name x -execdir rm {} +', 'denied'],
  ['find . -delete', 'denied'],
  ['find . -ok rm {} \\;', 'denied'],
  ['find . -ok rm {} ;', 'unclassifiable'],
  ['$CMD x', 'unclassifiable'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
  ['${CMD} x', 'unclassifiable'],
  ['"$CMD" x', 'unclassifiable'],
  ['$(echo rm) x', 'unclassifiable'],
  ['`echo rm` x', 'unclassifiable'],
  ['r$X x', 'unclassifiable'],
  ['r? x', 'unclassifiable'],
  ['r* x', 'unclassifiable'],
  ['/bin/r[m] x', 'unclassifiable'],
  ['{rm,x}', 'unclassifiable'],
  ['~/rm x', 'unclassifiable'],
  ['eval rm x', 'unclassifiable'],
  ['eval "rm x"', 'unclassifiable'],
  ['python -c "import os; os.remove(\'x\')"', 'unclassifiable'],
  ['python3 -c "x"', 'unclassifiable'],
  ['python3.11 -c "x"', 'unclassifiable'],
  ["perl -e 'unlink x'", 'unclassifiable'],
  ["ruby -e 'File.delete x'", 'unclassifiable'],
  ["node -e 'x'", 'unclassifiable'],
  ["php -r 'x'", 'unclassifiable'],
  ['python <<< "x"', 'unclassifiable'],
  ['awk \'BEGIN{system("rm x")}\'', 'unclassifiable'],
  ['awk \'{print | "sh"}\'', 'unclassifiable'],
  ['source ./x.sh', 'unclassifiable'],
  ['. ./x.sh', 'unclassifiable'],
  ["trap 'rm x' EXIT", 'unclassifiable'],
  ['alias ls=rm', 'unclassifiable'],
  ['f() { rm x; }; f', 'unclassifiable'],
  ['function f { rm x; }', 'unclassifiable'],
  ['case x in x) rm x;; esac', 'unclassifiable'],
  ['[[ -f x ]] && rm x', 'unclassifiable'],
  ['echo $((1+1))', 'unclassifiable'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
  ['echo ${X:-$(rm x)}', 'unclassifiable'],
  ["echo 'unclosed", 'unclassifiable'],
  ['echo "unclosed', 'unclassifiable'],
  ['echo $(rm x', 'unclassifiable'],
  ['coproc rm x', 'unclassifiable'],
  ['a=(rm x)', 'unclassifiable'],
  ['', 'unclassifiable'],
  ['ls\0rm', 'unclassifiable'],
  ['sudo $X rm x', 'unclassifiable'],
  ['env $X rm x', 'unclassifiable'],
  ['find . $X rm {} ;', 'unclassifiable'],
  ['ls | sudo sh', 'unclassifiable'],
  ["sudo -s 'rm -rf /'", 'unclassifiable'],
  ["watch -n 1 echo '$(rm x)'", 'denied'],
  ['watch rm x', 'denied'],
  ["flock /tmp/l -c 'rm x'", 'denied'],
  ["runuser -u nobody -c 'rm x'", 'denied'],
  ["sg adm 'rm x'", 'denied'],
  ["sg adm -c 'rm x'", 'denied'],
  ['parallel rm ::: a b', 'unclassifiable'],
  ["tmux new -d 'rm x'", 'unclassifiable'],
  ['echo rm x | at now', 'unclassifiable'],
  ['crontab evil.cron', 'unclassifiable'],
  ['rlwrap rm x', 'denied'],
  ['proxychains4 -f conf rm x', 'denied'],
  ['faketime yesterday rm x', 'denied'],
  ['firejail --net=none rm x', 'denied'],
  ['echo rm x | env sh', 'unclassifiable'],
];

/** Commands a `rm *` deny rule lets through. */
const ALLOWED = [
  'ls -la /tmp',
  'uptime',
  'echo rm -rf /',
  "echo 'rm x'",
  'grep -r rm /etc',
  'systemctl status nginx',
  'ls | grep rm',
  'cat /etc/hosts > /dev/null 2>&1',
  'ls 2>/dev/null; df -h',
  'echo $HOME',
  'X=1',
  'ls # rm x',
  'tar czf /tmp/a.tgz /etc',
  'bash ./deploy.sh',
  'python3 script.py',
  'printf "%s\\n" a b',
  "awk '{print $1}' /etc/passwd",
  'find . -name "*.log" -print',
  'sudo systemctl restart nginx',
  'ls | xargs echo',
  'journalctl -u nginx --since "1 hour ago"',
  "sh -c 'ls -la'",
  'bash <<< "uptime"',
  'echo uptime | sh',
  'rmdir x',
  'git rm --cached x',
];

describe('SSH exec classification: bypass attempts against a `rm *` deny rule', () => {
  it.each(BYPASSES)('%j is %s', (text, expected) => {
    expect(verdict(text)).toBe(expected);
  });
});

describe('SSH exec classification: what a `rm *` deny rule lets through', () => {
  it.each(ALLOWED)('%j is allowed', (text) => {
    expect(classifyShell(text)).toMatchObject({ unclassifiable: [] });
    expect(verdict(text)).toBe('allowed');
  });
});

describe('command patterns', () => {
  it('match the program by name or path and the arguments as a glob', () => {
    const stop = compileCommandPattern('systemctl stop *');
    expect(stop(['systemctl', 'stop', 'nginx'])).toBe(true);
    expect(stop(['/usr/bin/systemctl', 'stop', 'nginx', 'redis'])).toBe(true);
    expect(stop(['systemctl', 'stop'])).toBe(true);
    expect(stop(['systemctl', 'status', 'nginx'])).toBe(false);
    expect(stop(['systemctl', null, 'nginx'])).toBe(true);
    expect(compileCommandPattern('reboot')(['reboot', '-f'])).toBe(true);
    expect(compileCommandPattern('/bin/rm *')(['rm', 'x'])).toBe(false);
    expect(compileCommandPattern('/bin/rm *')(['/bin/rm', 'x'])).toBe(true);
    expect(compileCommandPattern('kubectl delete ns *')(['kubectl', 'delete', 'ns', 'prod'])).toBe(
      true,
    );
    expect(compileCommandPattern('kubectl delete ns *')(['kubectl', 'delete', 'pod', 'x'])).toBe(
      false,
    );
  });
});

describe('the shell parser', () => {
  it('reads words as the shell passes them', () => {
    expect(parseShell(`printf '%s' "a b" c\\ d $'e\\tf'`).commands[0]?.words).toEqual([
      'printf',
      '%s',
      'a b',
      'c d',
      'e\tf',
    ]);
  });

  it('records here-strings and the command a pipe reads from', () => {
    const { commands } = parseShell('echo a | sh <<< "b"');
    expect(commands[1]?.hereStrings).toEqual([{ text: 'b' }]);
    expect(commands[1]?.pipedFrom).toBe(commands[0]);
  });

  it('finds commands nested in substitutions at any depth, and stops at its limit', () => {
    const deep = `${'$('.repeat(10)}rm x${')'.repeat(10)}`;
    expect(classifyShell(deep).invocations).toContainEqual(['rm', 'x']);
    const tooDeep = `${'$('.repeat(40)}rm x${')'.repeat(40)}`;
    expect(classifyShell(tooDeep).unclassifiable).not.toEqual([]);
  });
});
