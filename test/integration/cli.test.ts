// The sr actions that manage configs, run as a user runs them: the real command in a
// temporary HOME.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { REPO, Sandbox } from '../helpers/sandbox.js';

let box: Sandbox;
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

const example = (relative: string) => fs.readFileSync(path.join(REPO, 'configs', relative), 'utf8');

describe('sr usage', () => {
  it('prints help for the command and for each action, each with an example', () => {
    const help = box.sr(['--help']);
    assert.equal(help.code, 0);
    for (const action of ['add', 'remove', 'edit', 'enable', 'disable', 'list', 'show', 'start', 'stop', 'restart', 'status', 'foreground', 'sanity',
      'declare', 'cleanup', 'reingest', 'log', 'quarantine list', 'quarantine retry', 'quarantine drop', 'deadletter list', 'deadletter retry', 'deadletter drop']) {
      if (!action.includes(' ')) assert.match(help.stdout, new RegExp(`sr ${action}`), action);
      const own = box.sr([...action.split(' '), '--help']);
      assert.equal(own.code, 0, `${action} --help`);
      assert.match(own.stdout, new RegExp(`^sr ${action}`, 'm'));
      assert.match(own.stdout, /^Examples:\n {2}sr /m, `${action} --help shows an example`);
    }
  });

  it('exits 2 with a hint on a usage error', () => {
    for (const args of [[], ['bogus'], ['status', '--colour'], ['add']]) {
      const result = box.sr(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /sr --help lists the actions/);
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
    }
    // Not "say what to do": `start` is not the value of an option nobody knows.
    assert.match(box.sr(['--foo', 'start']).stderr, /^sr: unknown option --foo\n/);
    assert.match(box.sr(['--logLevl', 'debug', 'status']).stderr, /^sr: unknown option --logLevl \(did you mean --logLevel\?\)/);
  });
});

describe('progress of a long action', () => {
  it('is drawn in place on a terminal and absent otherwise, the result lines the same', () => {
    for (const name of ['a', 'b', 'c']) {
      box.writeConfig(`poll/${name}.conf`, 'pollUrl imaps://ingest@mail.example.com/\n');
      box.writeState('poll', name, 'poll.sqlite', 'x');
    }
    const args = ['cleanup', 'poll/a', 'poll/b', 'poll/c', '--dangerWillRobinson=3'];
    // script(1) gives sr a terminal, as a user typing the command has.
    const command = [process.execPath, path.join(REPO, 'bin', 'sr.js'), ...args].map((word) => `'${word}'`).join(' ');
    const onTerminal = spawnSync('script', ['-qec', command, '/dev/null'], { env: box.env(), encoding: 'utf8', timeout: 60000 });
    assert.equal(onTerminal.status, 0, onTerminal.stdout + onTerminal.stderr);
    for (const [step, name] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) assert.ok(onTerminal.stdout.includes(`\r\x1b[Kcleanup: ${step}/3 poll/${name}`), `step ${step} drawn: ${JSON.stringify(onTerminal.stdout)}`);
    assert.match(onTerminal.stdout, /\r\x1b\[Kcleanup: removing state file: .*poll\/c\/poll\.sqlite\r?\n/, 'a result line, the progress line cleared before it');
    assert.ok(onTerminal.stdout.endsWith('cleanup: 3/3 poll/c\r\x1b[K'), 'the line taken away at the end');
    for (const name of ['a', 'b', 'c']) box.writeState('poll', name, 'poll.sqlite', 'x');
    const plain = box.sr(args);
    assert.equal(plain.code, 0);
    assert.doesNotMatch(plain.stdout + plain.stderr, /\x1b/, 'no terminal, nothing drawn');
    assert.equal(plain.stdout.split('\n').filter((line) => /^cleanup: removing state file: .*poll\.sqlite$/.test(line)).length, 3);
  });
});

describe('sr completion', () => {
  it('prints a bash and a zsh script, and completes actions, config names and config options', () => {
    assert.match(box.sr(['completion']).stdout, /###-begin-sr-completions-###[\s\S]*complete -o bashdefault -o default -F _sr_yargs_completions sr/);
    assert.match(box.sr(['completion'], { SHELL: '/bin/zsh' }).stdout, /#compdef sr/);
    box.writeConfig('subscribe/invoices.conf', 'directory /tmp/out\n');
    box.writeConfig('poll/invoices.conf', 'pollUrl imaps://u@h/\n');
    const complete = (...words: string[]) => box.sr(['--get-yargs-completions', 'sr', ...words]).stdout.trim().split('\n');
    assert.ok(complete('').includes('status'));
    assert.deepEqual(complete('start', 'sub'), ['subscribe/invoices']);
    assert.deepEqual(complete('stop', ''), ['poll/invoices', 'subscribe/invoices']);
    assert.ok(complete('--logLev').includes('--logLevel'));
  });
});

describe('sr add, list, remove', () => {
  it('copies examples with or without .conf and never overwrites', () => {
    const added = box.sr(['add', 'poll/mail', 'subscribe/mail.conf']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /add: copying .*configs\/poll\/mail.conf to .*\.config\/sr\/poll\/mail.conf/);
    assert.equal(fs.readFileSync(path.join(box.configDir, 'poll/mail.conf'), 'utf8'), example('poll/mail.conf'));
    assert.equal(fs.readFileSync(path.join(box.configDir, 'subscribe/mail.conf'), 'utf8'), example('subscribe/mail.conf'));

    box.writeConfig('poll/mail.conf', '# mine\n', 0o644);
    const again = box.sr(['add', 'poll/mail.conf']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /poll\/mail exists already, left as it is/);
    assert.equal(fs.readFileSync(path.join(box.configDir, 'poll/mail.conf'), 'utf8'), '# mine\n');
  });

  it('creates an empty config when there is no such example, as sr3 does, and adds a file by path', () => {
    const empty = box.sr(['add', 'subscribe/invoices']);
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /did not find anything to copy for subscribe\/invoices; created an empty/);
    assert.equal(fs.readFileSync(path.join(box.configDir, 'subscribe/invoices.conf'), 'utf8'), '');

    const mine = path.join(box.home, 'drafts', 'poll', 'treasury.conf');
    fs.mkdirSync(path.dirname(mine), { recursive: true });
    fs.writeFileSync(mine, 'pollUrl imaps://treasury@mail.example.com/\n');
    assert.equal(box.sr(['add', mine]).code, 0);
    assert.equal(fs.readFileSync(path.join(box.configDir, 'poll/treasury.conf'), 'utf8'), 'pollUrl imaps://treasury@mail.example.com/\n');
  });

  it('asks which component a bare or unknown name means', () => {
    const bare = box.sr(['add', 'mail']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /say which one: poll\/mail or subscribe\/mail/);
    const flow = box.sr(['add', 'flow/mail.conf']);
    assert.equal(flow.code, 2);
    assert.match(flow.stderr, /component among poll, subscribe/);
  });

  it('lists configs and examples in sr3 layout', () => {
    box.sr(['add', 'poll/mail', 'subscribe/mail']);
    box.writeConfig('credentials.conf', '');
    const list = box.sr(['list']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^User Configurations: \(from: .*\.config\/sr \)$/m);
    assert.match(list.stdout, /^poll\/mail\.conf {19}subscribe\/mail\.conf\ncredentials\.conf$/m, '33-column cells, 80 columns when not a terminal');
    assert.match(box.sr(['list'], { COLUMNS: '120' }).stdout, /^poll\/mail\.conf +subscribe\/mail\.conf +credentials\.conf$/m);
    assert.match(list.stdout, /^logs are in: .*\.cache\/sr\/log$/m);
    const examples = box.sr(['list', 'examples']);
    assert.match(examples.stdout, /^Sample Configurations: \(from: .*configs \)$/m);
    assert.match(examples.stdout, /poll\/mail\.conf/);
    assert.equal(box.sr(['list', 'plugins']).code, 2);
  });

  it('removes one config, and several only with --dangerWillRobinson=<count>', () => {
    box.sr(['add', 'poll/mail', 'subscribe/mail']);
    box.sr(['disable', 'subscribe/mail']);
    const refused = box.sr(['remove', 'mail']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /would remove 2 configs .*add --dangerWillRobinson=2/);
    assert.ok(fs.existsSync(path.join(box.configDir, 'poll/mail.conf')));
    assert.equal(box.sr(['remove', 'mail', '--dangerWillRobinson=2']).code, 0);
    assert.ok(!fs.existsSync(path.join(box.configDir, 'poll/mail.conf')));
    assert.ok(!fs.existsSync(path.join(box.cacheDir, 'subscribe/mail')), 'the run state goes too');
  });

  it('fails on a selector that matches nothing, naming the closest config', () => {
    box.sr(['add', 'poll/mail']);
    const result = box.sr(['status', 'poll/mial']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no config matches "poll\/mial" \(did you mean "poll\/mail"\?\)/);
  });
});

describe('sr show', () => {
  it('prints the effective config with where each value came from and no password', () => {
    box.writeConfig('credentials.conf', 'amqp://feeder:Sup3r%2Fsecret@broker.example.com/\nimaps://ingest:MailPass99@mail.example.com/\n');
    box.writeConfig('default.conf', 'logLevel warning\n');
    box.writeConfig('subscribe/mail.conf', [
      'broker amqp://feeder:Sup3r%2Fsecret@broker.example.com/',
      'declare env NOTE=MailPass99',
      'directory /data/${NOTE}',
      'accept .*invoice.*',
    ].join('\n'));
    const shown = box.sr(['--instances', '3', 'show', 'subscribe/mail']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^broker amqp:\/\/feeder:\*\*\*@broker.example.com\/ +# subscribe\/mail.conf:1$/m);
    assert.match(shown.stdout, /^logLevel warning +# default.conf:1$/m);
    assert.match(shown.stdout, /^instances 3 +# command line$/m);
    assert.match(shown.stdout, /^prefetch 25 +# default$/m);
    assert.match(shown.stdout, /^accept \.\*invoice\.\* +\(into \/data\/\*\*\*\) +# subscribe\/mail.conf:4$/m);
    assert.doesNotMatch(shown.stdout + shown.stderr, /Sup3r|MailPass99/);
  });
});

describe('config errors', () => {
  it('are reported with file and line, exit 1, and nothing starts', () => {
    box.sr(['add', 'subscribe/mail']);
    box.writeConfig('poll/mail.conf', ['callback poll.mail', '', '', '', '', '', 'brokr amqp://u@h/'].join('\n'));
    const started = box.sr(['start']);
    assert.equal(started.code, 1);
    assert.match(started.stderr, /^poll\/mail.conf:7: unknown option "brokr" \(did you mean "broker"\?\)$/m);
    assert.doesNotMatch(started.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.ok(!fs.existsSync(path.join(box.cacheDir, 'subscribe')), 'the valid config did not start either');
  });

  it('do not stop sr status from showing the other configs', () => {
    box.sr(['add', 'subscribe/mail']);
    box.writeConfig('poll/mail.conf', 'housekeeping often\n');
    const status = box.sr(['status']);
    assert.equal(status.code, 1, 'a broken config needs attention');
    assert.match(status.stdout, /^poll\/mail +error +0\/0/m);
    assert.match(status.stdout, /^subscribe\/mail +stopped +0\/1/m);
    assert.match(status.stderr, /poll\/mail.conf:1: "housekeeping" needs a duration .*, got "often"/);
    const json = JSON.parse(box.sr(['status', '--json']).stdout) as Array<{ config: string; state: string; error?: string }>;
    assert.deepEqual(json.map((row) => [row.config, row.state]), [['poll/mail', 'error'], ['subscribe/mail', 'stopped']]);
    assert.match(json[0]?.error ?? '', /poll\/mail.conf:1/);
  });

  it('made in sr edit are reported when the editor closes', () => {
    box.sr(['add', 'subscribe/mail']);
    const editor = path.join(box.home, 'editor.sh');
    fs.writeFileSync(editor, '#!/bin/sh\nprintf "instances lots\\n" >> "$1"\n', { mode: 0o755 });
    const edited = box.sr(['edit', 'subscribe/mail'], { EDITOR: editor, VISUAL: '' });
    assert.equal(edited.code, 1);
    assert.match(edited.stderr, /subscribe\/mail.conf:\d+: "instances" needs a whole number, got "lots"/);
    fs.writeFileSync(editor, '#!/bin/sh\nsed -i "s/instances lots/instances 2/" "$1"\n', { mode: 0o755 });
    assert.equal(box.sr(['edit', 'mail'], { EDITOR: editor, VISUAL: '' }).code, 0, 'a bare name works when one config has it');
  });
});

describe('credentials.conf', () => {
  it('is refused when group or others can read it, with the chmod to fix it, and nothing starts', () => {
    box.sr(['add', 'subscribe/mail']);
    const file = box.writeConfig('credentials.conf', 'imaps://ingest:MailPass99@mail.example.com/\n', 0o644);
    const started = box.sr(['start']);
    assert.equal(started.code, 1);
    assert.match(started.stderr, /credentials.conf can be read by group or others \(mode 0644\)/);
    assert.match(started.stderr, new RegExp(`chmod 600 ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(started.stderr, /MailPass99/);
    assert.ok(!fs.existsSync(path.join(box.cacheDir, 'subscribe', 'mail')), 'nothing started');
  });
});

describe('sr enable and disable', () => {
  it('work on a config that never ran, and a disabled config does not start', () => {
    box.sr(['add', 'subscribe/mail']);
    assert.match(box.sr(['disable', 'subscribe/mail']).stdout, /subscribe\/mail disabled/);
    assert.match(box.sr(['disable', 'subscribe/mail']).stdout, /already disabled/);
    assert.match(box.sr(['status']).stdout, /^subscribe\/mail +disabled/m);
    const start = box.sr(['start', 'subscribe/mail']);
    assert.equal(start.code, 0);
    assert.match(start.stdout, /subscribe\/mail is disabled \(sr enable subscribe\/mail to allow it\)/);
    assert.match(box.sr(['status']).stdout, /^subscribe\/mail +disabled +0\/1/m);
    assert.match(box.sr(['enable', 'subscribe/mail']).stdout, /subscribe\/mail enabled/);
    assert.match(box.sr(['status']).stdout, /^subscribe\/mail +stopped/m);
  });
});

describe('sr show, edit and status check what sr start checks', () => {
  it('refuse a mistake sr start would refuse (mailAction sen, ${FOLDR}), naming file and line', () => {
    box.writeConfig('subscribe/mail.conf', 'directory /tmp/out/${FOLDR}\nmailAction sen\n');
    const shown = box.sr(['show', 'subscribe/mail']);
    assert.equal(shown.code, 1);
    assert.match(shown.stderr, /subscribe\/mail.conf:1: "directory" \$\{FOLDR\} is not a field/);
    assert.match(shown.stderr, /subscribe\/mail.conf:2: "mailAction" needs none, seen/);
    const edited = box.sr(['edit', 'subscribe/mail'], { EDITOR: 'true', VISUAL: '' });
    assert.equal(edited.code, 1);
    assert.match(edited.stderr, /"mailAction" needs none, seen/);
    const status = box.sr(['status']);
    assert.equal(status.code, 1, 'a config sr start would refuse needs attention');
    assert.match(`${status.stdout}${status.stderr}`, /mailAction/);
  });

  it('read an sr3 config with sr3 options mailpump has no use for: one warning each, on stderr, exit 0; sr status says nothing of them', () => {
    box.writeConfig('default.conf', 'logFormat %(message)s\n');
    box.writeConfig('subscribe/a.conf', 'directory /tmp/out\naccelThreshold 10M\nreport on\n');
    box.writeConfig('subscribe/b.conf', 'directory /tmp/out\n');
    const shown = box.sr(['show']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(shown.stderr.trim().split('\n').map((line) => line.replace(/ with no effect in mailpump: .*/, '')), [
      'warning: default.conf:1: "logFormat" is an sr3 option',
      'warning: subscribe/a.conf:2: "accelThreshold" is an sr3 option',
      'warning: subscribe/a.conf:3: "report" is an sr3 option',
    ], 'each once, default.conf too');
    assert.equal(box.sr(['status']).stderr, '');
  });

  it('say so, and how to begin, when nothing is configured', () => {
    const start = box.sr(['start']);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /nothing to start: no configs yet in .*; to begin: sr list examples, then sr add poll\/mail.conf subscribe\/mail.conf/);
    for (const action of ['show', 'status']) {
      const result = box.sr([action]);
      assert.equal(result.code, 0, action);
      assert.match(result.stdout, /no configs yet in .*to begin: sr list examples/, action);
    }
  });
});
