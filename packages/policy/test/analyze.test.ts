import { describe, expect, it } from 'vitest';
import { analyzeCommand } from '../src/analysis/analyze.js';
import { tokenizeCommand } from '../src/analysis/tokenize.js';

const argvOf = (command: string) => {
  const r = tokenizeCommand(command);
  if (!r.ok) throw new Error(`rejected: ${r.rejection.reason}`);
  return r.segments.map((s) => [s.argv, s.op ?? null]);
};

describe('grammar: accepted input', () => {
  it.each<[string, unknown]>([
    ['ls', [[['ls'], null]]],
    ['ls -la /tmp', [[['ls', '-la', '/tmp'], null]]],
    ['  ls\t-la  ', [[['ls', '-la'], null]]],
    ['echo \'a b\' "c d"', [[['echo', 'a b', 'c d'], null]]],
    ["echo 'it''s'", [[['echo', 'its'], null]]],
    ["echo '$HOME `x` $(y) > < | ; &'", [[['echo', '$HOME `x` $(y) > < | ; &'], null]]],
    ['echo "a\\"b" "c\\\\d" "e\\$f" "g\\`h" "i\\j"', [[['echo', 'a"b', 'c\\d', 'e$f', 'g`h', 'i\\j'], null]]],
    ['echo a\\ b \\; \\|', [[['echo', 'a b', ';', '|'], null]]],
    ['echo ""', [[['echo', ''], null]]],
    [
      'a&&b',
      [
        [['a'], '&&'],
        [['b'], null],
      ],
    ],
    [
      'a && b || c ; d | e',
      [
        [['a'], '&&'],
        [['b'], '||'],
        [['c'], ';'],
        [['d'], '|'],
        [['e'], null],
      ],
    ],
    ['git log # a comment; rm -rf /', [[['git', 'log'], null]]],
    ['echo a#b', [[['echo', 'a#b'], null]]],
    ['git log HEAD~1', [[['git', 'log', 'HEAD~1'], null]]],
    ['make CC=gcc', [[['make', 'CC=gcc'], null]]],
    ["'FOO=bar' x", [[['FOO=bar', 'x'], null]]],
    ["find . -name '*.ts'", [[['find', '.', '-name', '*.ts'], null]]],
    ['echo café 日本', [[['echo', 'café', '日本'], null]]],
    ['echo a!b', [[['echo', 'a!b'], null]]],
    ["'if' x", [[['if', 'x'], null]]],
  ])('%s', (command, expected) => {
    expect(argvOf(command)).toEqual(expected);
  });
});

describe('grammar: rejected input', () => {
  it.each<[string, string]>([
    ['', 'empty_command'],
    ['   ', 'empty_command'],
    ['# only a comment', 'empty_command'],
    ['echo $(id)', 'command_substitution'],
    ['echo `id`', 'command_substitution'],
    ['echo "$(id)"', 'command_substitution'],
    ['echo "`id`"', 'command_substitution'],
    ['echo $HOME', 'variable_expansion'],
    ['echo "$HOME"', 'variable_expansion'],
    ['echo ${HOME}', 'parameter_expansion'],
    ['echo $((1+1))', 'arithmetic_expansion'],
    ["echo $'\\x41'", 'ansi_c_quoting'],
    ['echo $"x"', 'locale_quoting'],
    ['echo $', 'variable_expansion'],
    ['echo x > f', 'redirect'],
    ['echo x >> f', 'redirect'],
    ['cat < f', 'redirect'],
    ['ls 2>&1', 'redirect'],
    ['ls &> f', 'redirect'],
    ['cat <<EOF', 'heredoc'],
    ['cat <<< x', 'heredoc'],
    ['diff <(ls) <(ls)', 'process_substitution'],
    ['tee >(cat)', 'process_substitution'],
    ['sleep 1 &', 'background'],
    ['ls |& cat', 'pipe_stderr'],
    ['(ls)', 'subshell'],
    ['{ ls; }', 'brace'],
    ['echo {a,b}', 'brace'],
    ['ls *', 'glob'],
    ['ls ?', 'glob'],
    ['ls [ab]', 'glob'],
    ['ls ~/x', 'tilde_expansion'],
    ['! ls', 'history_or_negation'],
    ['FOO=bar ls', 'assignment'],
    ['FOO="bar baz" ls', 'assignment'],
    ['A+=1 ls', 'assignment'],
    ['if true', 'shell_keyword'],
    ['while x', 'shell_keyword'],
    ['ls ;', 'empty_segment'],
    ['; ls', 'empty_segment'],
    ['ls && && ls', 'empty_segment'],
    ['ls ;; ls', 'empty_segment'],
    ['ls |', 'empty_segment'],
    ["echo 'abc", 'unterminated_quote'],
    ['echo "abc', 'unterminated_quote'],
    ['echo "abc\\', 'unterminated_quote'],
    ['echo \\', 'trailing_backslash'],
    ['ls\nrm -rf /', 'newline'],
    ['ls\rrm', 'newline'],
    ['ls \\\nrm', 'newline'],
    ["echo 'a\nb'", 'newline'],
    ['ls\u0000', 'nul_byte'],
    ['ls\u0007', 'control_character'],
    ['ls\u001b[31m', 'control_character'],
    ['ls\u0085', 'control_character'],
    ['ls \u202e', 'bidi_control'],
    ['ls \u2066x\u2069', 'bidi_control'],
    ['l\u200ds', 'invisible_character'],
    ['ls\ufeff', 'invisible_character'],
    ['ls \u2028 rm', 'invisible_character'],
    [`echo ${'a'.repeat(70_000)}`, 'input_too_large'],
    [`echo ${'é'.repeat(33_000)}`, 'input_too_large'],
  ])('%j → %s', (command, code) => {
    const r = tokenizeCommand(command);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.rejection.code).toBe(code);
      expect(r.rejection.reason.length).toBeGreaterThan(5);
    }
  });
});

describe('wrappers', () => {
  const seg = (input: string | string[]) => {
    const r = analyzeCommand(typeof input === 'string' ? { command: input } : { argv: input });
    if (!r.ok) throw new Error(`rejected: ${r.rejection.code}: ${r.rejection.reason}`);
    return r.segments.map((s) => ({ argv: s.argv, execArgv: s.execArgv, wrappers: s.wrappers, op: s.op ?? null }));
  };
  it.each<[string | string[], { argv: string[]; execArgv: string[]; wrappers: string[]; op: string | null }[]]>([
    ["sh -c 'ls -l'", [{ argv: ['ls', '-l'], execArgv: ['ls', '-l'], wrappers: ['sh -c'], op: null }]],
    [['bash', '-lc', 'git status'], [{ argv: ['git', 'status'], execArgv: ['git', 'status'], wrappers: ['bash -lc'], op: null }]],
    [
      ['bash', '-c', 'ls && rm x'],
      [
        { argv: ['ls'], execArgv: ['ls'], wrappers: ['bash -c'], op: '&&' },
        { argv: ['rm', 'x'], execArgv: ['rm', 'x'], wrappers: ['bash -c'], op: null },
      ],
    ],
    ['sh -c "bash -c \'dash -c ls\'"', [{ argv: ['ls'], execArgv: ['ls'], wrappers: ['sh -c', 'bash -c', 'dash -c'], op: null }]],
    ['env ls', [{ argv: ['ls'], execArgv: ['ls'], wrappers: ['env'], op: null }]],
    ['nice -n 5 ls', [{ argv: ['ls'], execArgv: ['nice', '-n', '5', 'ls'], wrappers: ['nice'], op: null }]],
    ['nice ls', [{ argv: ['ls'], execArgv: ['nice', 'ls'], wrappers: ['nice'], op: null }]],
    ['nohup ls', [{ argv: ['ls'], execArgv: ['nohup', 'ls'], wrappers: ['nohup'], op: null }]],
    ['timeout -s KILL 5s ls', [{ argv: ['ls'], execArgv: ['timeout', '-s', 'KILL', '5s', 'ls'], wrappers: ['timeout'], op: null }]],
    ['timeout --kill-after=1 10 ls', [{ argv: ['ls'], execArgv: ['timeout', '--kill-after=1', '10', 'ls'], wrappers: ['timeout'], op: null }]],
    ['stdbuf -oL -e0 ls', [{ argv: ['ls'], execArgv: ['stdbuf', '-oL', '-e0', 'ls'], wrappers: ['stdbuf'], op: null }]],
    ['time -p ls', [{ argv: ['ls'], execArgv: ['ls'], wrappers: ['time'], op: null }]],
    ['timeout 5 nice env ls', [{ argv: ['ls'], execArgv: ['timeout', '5', 'nice', 'ls'], wrappers: ['timeout', 'nice', 'env'], op: null }]],
    ["timeout 5 sh -c 'ls -l'", [{ argv: ['ls', '-l'], execArgv: ['timeout', '5', 'ls', '-l'], wrappers: ['timeout', 'sh -c'], op: null }]],
    ['bash script.sh', [{ argv: ['bash', 'script.sh'], execArgv: ['bash', 'script.sh'], wrappers: [], op: null }]],
    ['./timeout 5 rm x', [{ argv: ['./timeout', '5', 'rm', 'x'], execArgv: ['./timeout', '5', 'rm', 'x'], wrappers: [], op: null }]],
    ['/usr/bin/env rm x', [{ argv: ['/usr/bin/env', 'rm', 'x'], execArgv: ['/usr/bin/env', 'rm', 'x'], wrappers: [], op: null }]],
    ['env', [{ argv: ['env'], execArgv: ['env'], wrappers: [], op: null }]],
  ])('%j', (input, expected) => {
    expect(seg(input)).toEqual(expected);
  });

  it.each<[string | string[], string]>([
    ["sh -c 'ls $(id)'", 'command_substitution'],
    ['bash -e -c ls', 'unsupported_wrapper_form'],
    ['bash -c', 'wrapper_without_command'],
    ['sh -c "sh -c \'sh -c \\"sh -c ls\\"\'"', 'wrapper_depth'],
    ['env -i ls', 'unsupported_wrapper_form'],
    ['env FOO=1 ls', 'unsupported_wrapper_form'],
    ['nice -x ls', 'unsupported_wrapper_form'],
    ['timeout ls', 'unsupported_wrapper_form'],
    ['timeout 5', 'wrapper_without_command'],
    ['stdbuf -oX ls', 'unsupported_wrapper_form'],
    ['nohup', 'nohup'],
    ["ls && sh -c 'a || b'", 'unsupported_wrapper_form'],
    ["timeout 5 sh -c 'a && b'", 'unsupported_wrapper_form'],
    [['bash', '-c', 'echo a\nrm -rf /'], 'newline'],
    [['ls', 'a\u0000'], 'nul_byte'],
    [['ls', '\u202e'], 'bidi_control'],
    [[], 'empty_command'],
    [[''], 'empty_command'],
    [['echo', 'x'.repeat(70_000)], 'input_too_large'],
  ])('%j is rejected: %s', (input, code) => {
    const r = analyzeCommand(typeof input === 'string' ? { command: input } : { argv: input });
    if (code === 'nohup') {
      // `nohup` alone is not a wrapper use: it is judged as itself.
      expect(r.ok).toBe(true);
      return;
    }
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.rejection.code).toBe(code);
  });

  it('a list inside sh -c keeps the outer operator on its last segment', () => {
    const r = analyzeCommand({ command: "sh -c 'a | b'" });
    expect(r.ok && r.segments.map((s) => s.op ?? null)).toEqual(['|', null]);
  });
});
