import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConfigErrors } from '../../lib/config/errors.js';
import { type Config, loadConfig } from '../../lib/config/load.js';
import { ConfigTree } from '../helpers/configTree.js';

let tree: ConfigTree;
beforeEach(() => { tree = new ConfigTree(); });
afterEach(() => tree.remove());

const poll = (name = 'mail') => ({ component: 'poll' as const, name });
const subscribe = (name = 'mail') => ({ component: 'subscribe' as const, name });

function errorsOf(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  assert.fail('expected configuration errors');
}

describe('the config language', () => {
  it('reads keyword value lines, skips comments and blank lines, and keeps the last value', () => {
    tree.write('subscribe/mail.conf', [
      '# a comment', '', '   # an indented comment', 'logLevel debug', 'instances 2', 'instances 3',
      'directory /data/mail   inbox', 'housekeeping 1h30m',
    ]);
    const config = loadConfig(tree.paths, subscribe());
    assert.equal(config.str('logLevel'), 'debug');
    assert.equal(config.number('instances'), 3);
    assert.equal(config.str('directory'), '/data/mail inbox', 'str options take the rest of the line, spaces folded');
    assert.equal(config.number('housekeeping'), 5400);
  });

  it('reports an unknown option with file, line and a suggestion', () => {
    tree.write('poll/mail.conf', ['callback poll.mail', '', '', '', '', '', 'brokr amqp://u@h/']);
    assert.deepEqual(errorsOf(() => loadConfig(tree.paths, poll())), ['poll/mail.conf:7: unknown option "brokr" (did you mean "broker"?)']);
  });

  it('reports a bad value with file, line, option and what it got', () => {
    tree.write('subscribe/mail.conf', ['instances 1', '', 'housekeeping often']);
    assert.deepEqual(errorsOf(() => loadConfig(tree.paths, subscribe())), [
      'subscribe/mail.conf:3: "housekeeping" needs a duration (such as 30s, 5m, 1h30m), got "often"',
    ]);
  });

  it('reports every error of a file at once', () => {
    tree.write('subscribe/mail.conf', ['logLevel loud', 'acceptUnmatched maybe', 'accept (unclosed']);
    const errors = errorsOf(() => loadConfig(tree.paths, subscribe()));
    assert.equal(errors.length, 3);
    assert.match(errors[0] ?? '', /^subscribe\/mail.conf:1: "logLevel" needs one of debug, info, warning, error, critical, got "loud"$/);
    assert.match(errors[1] ?? '', /^subscribe\/mail.conf:2: "acceptUnmatched" needs on or off, got "maybe"$/);
    assert.match(errors[2] ?? '', /^subscribe\/mail.conf:3: accept: invalid regular expression "\(unclosed"/);
  });

  it('refuses a mailpump option of another component in a component config; an sr3 one, which sr3 takes anywhere, gets a warning', () => {
    tree.write('subscribe/mail.conf', ['folder INBOX']);
    assert.deepEqual(errorsOf(() => loadConfig(tree.paths, subscribe())), [
      'subscribe/mail.conf:1: "folder" is not an option of subscribe (it belongs to poll)',
    ]);
    tree.write('subscribe/mail.conf', ['directory /data', 'pollUrl imaps://u@mail.example.com/']);
    assert.deepEqual(loadConfig(tree.paths, subscribe()).warnings, ['subscribe/mail.conf:2: "pollUrl" has no effect in a subscribe of mailpump (it belongs to poll)']);
  });

  it('says how to create a config that does not exist', () => {
    assert.match(errorsOf(() => loadConfig(tree.paths, poll('nope')))[0] ?? '', /poll\/nope does not exist \(sr add poll\/nope.conf creates it\)/);
  });

  it('accepts sr3 aliases and the poll meaning of broker', () => {
    tree.write('poll/mail.conf', ['ll debug', 'logdays 9', 'broker amqp://feeder@broker.example.com/', 'destination imaps://u@mail.example.com/']);
    const config = loadConfig(tree.paths, poll());
    assert.equal(config.str('logLevel'), 'debug');
    assert.equal(config.number('logRotateCount'), 9);
    assert.equal(config.str('post_broker'), 'amqp://feeder@broker.example.com/');
    assert.deepEqual(config.list('pollUrl'), ['imaps://u@mail.example.com/']);
  });

  it('checks URL schemes', () => {
    tree.write('poll/mail.conf', ['pollUrl http://mail.example.com/', 'post_broker mqtt://h/', 'pollUrl file://depot.example.com/srv/depot/', 'pollUrl file:/srv/depot/']);
    assert.deepEqual(errorsOf(() => loadConfig(tree.paths, poll())), [
      'poll/mail.conf:1: "pollUrl" needs a imap, imaps, pop, pops, file URL, got scheme "http"',
      'poll/mail.conf:2: "post_broker" needs a local, amqp, amqps URL, got scheme "mqtt"',
      'poll/mail.conf:3: "pollUrl" file://depot.example.com/srv/depot/: a file: URL names a directory of this host, file:/srv/depot/, not one on depot.example.com',
    ]);
  });

  it('a poll runs one instance whatever instances says', () => {
    tree.write('poll/mail.conf', ['instances 4']);
    assert.equal(loadConfig(tree.paths, poll()).instances, 1);
    tree.write('subscribe/mail.conf', ['instances 4']);
    assert.equal(loadConfig(tree.paths, subscribe()).instances, 4);
  });
});

describe('layers', () => {
  it('applies table defaults, default.conf, <component>.conf, the config, then the command line', () => {
    tree.write('default.conf', ['logLevel warning', 'housekeeping 10m', 'prefetch 7', 'stop_timeout 5s']);
    tree.write('subscribe.conf', ['housekeeping 20m', 'instances 2']);
    tree.write('subscribe/mail.conf', ['instances 3', 'stop_timeout 9s']);
    const config = loadConfig(tree.paths, subscribe(), [['stop_timeout', '1m']]);
    assert.equal(config.str('logLevel'), 'warning', 'default.conf beats the table default');
    assert.equal(config.number('prefetch'), 7, 'default.conf beats a per-component default (sr3 would lose it)');
    assert.equal(config.number('housekeeping'), 1200, '<component>.conf beats default.conf');
    assert.equal(config.number('instances'), 3, 'the config beats <component>.conf');
    assert.equal(config.number('stop_timeout'), 60, 'the command line beats the config');
    assert.deepEqual(config.settings.get('instances')?.where, { file: 'subscribe/mail.conf', line: 1 });
    assert.equal(config.settings.get('stop_timeout')?.where?.file, 'command line');
  });

  it('skips default.conf lines meant for another component', () => {
    tree.write('default.conf', ['prefetch 7', 'pollUrl imaps://u@mail.example.com/']);
    tree.write('poll/mail.conf', ['callback poll.mail']);
    tree.write('subscribe/mail.conf', ['callback download.mail_ingest']);
    assert.equal(loadConfig(tree.paths, poll()).list('pollUrl').length, 1);
    assert.equal(loadConfig(tree.paths, subscribe()).number('prefetch'), 7);
  });

  it('reports a bad command-line option by its name', () => {
    tree.write('subscribe/mail.conf', []);
    assert.deepEqual(errorsOf(() => loadConfig(tree.paths, subscribe(), [['instances', 'lots']])), [
      'command line: --instances: "instances" needs a whole number, got "lots"',
    ]);
  });

  it('refuses what is not a regular file: a directory, a device, a FIFO, without blocking or reading it', () => {
    tree.write('subscribe/mail.conf', []);
    const fifo = path.join(tree.paths.configDir, 'pipe.inc');
    execFileSync('mkfifo', [fifo]);
    fs.mkdirSync(path.join(tree.paths.configDir, 'dir.inc'));
    tree.write('subscribe/mail.conf', ['include /dev/zero', `include ${fifo}`, 'include dir.inc']);
    assert.deepEqual(errorsOf(() => loadConfig(tree.paths, subscribe())), [
      '/dev/zero: cannot read: is not a regular file (a device, a FIFO or a socket)',
      'pipe.inc: cannot read: is not a regular file (a device, a FIFO or a socket)',
      'dir.inc: cannot read: is a directory, not a file',
    ]);
  });

  it('includes files relative to the including file, then the config directory, with errors in the included file', () => {
    tree.write('shared/logging.inc', ['logLevel error', 'include tuning.inc']);
    tree.write('shared/tuning.inc', ['housekeeping 2m', 'prefetch never']);
    tree.write('subscribe/mail.conf', ['include shared/logging.inc']);
    assert.deepEqual(errorsOf(() => loadConfig(tree.paths, subscribe())), ['shared/tuning.inc:2: "prefetch" needs a whole number, got "never"']);
    tree.write('shared/tuning.inc', ['housekeeping 2m']);
    const config = loadConfig(tree.paths, subscribe());
    assert.equal(config.str('logLevel'), 'error');
    assert.equal(config.number('housekeeping'), 120);
    assert.deepEqual(config.settings.get('housekeeping')?.where, { file: 'shared/tuning.inc', line: 1 });
  });

  it('stops an include loop at once, naming the chain', () => {
    tree.write('loop.inc', ['include loop.inc']);
    tree.write('subscribe/mail.conf', ['include loop.inc']);
    assert.match(errorsOf(() => loadConfig(tree.paths, subscribe()))[0] ?? '', /loop.inc:1: include "loop.inc" includes a file that is already being read: subscribe\/mail.conf -> loop.inc -> loop.inc/);
    // Three includes of itself ten deep were 59,049 reads (sr hung): now one error per line.
    tree.write('subscribe/mail.conf', ['include subscribe/mail.conf', 'include subscribe/mail.conf', 'include subscribe/mail.conf']);
    assert.equal(errorsOf(() => loadConfig(tree.paths, subscribe())).length, 3);
  });
});

describe('variables', () => {
  it('substitutes built-ins, options set above, declared and environment variables', () => {
    tree.write('subscribe/mail.conf', [
      'broker amqp://feeder@broker.example.com/',
      'declare env SITE=ottawa',
      'queueName q_${BROKER_USER}.${PROGRAM}.${CONFIG}.${SITE}',
      'directory /data/${MAILPUMP_TEST_AREA}/${HOSTNAME}/${logLevel}',
      'exchange ${UNDEFINED_THING}',
    ]);
    const config = loadConfig(tree.paths, subscribe(), [], { ...process.env, MAILPUMP_TEST_AREA: 'area51' });
    assert.equal(config.str('queueName'), 'q_feeder.subscribe.mail.ottawa');
    assert.equal(config.str('directory'), `/data/area51/${os.hostname()}/info`);
    assert.equal(config.str('exchange'), '${UNDEFINED_THING}', 'an unknown variable stays as written');
  });

  it('leaves per-message fields and dates for later', () => {
    tree.write('subscribe/mail.conf', ['directory /in/${%Y%m%d}/${YYYYMMDD}/${FOLDER}/${SUBJECT}/${1}']);
    const config = loadConfig(tree.paths, subscribe(), [], { ...process.env, FOLDER: 'not-this', SUBJECT: 'nor-this' });
    assert.equal(config.str('directory'), '/in/${%Y%m%d}/${YYYYMMDD}/${FOLDER}/${SUBJECT}/${1}');
  });

  it('BROKER_USER is the broker written above the line, as in sr3', () => {
    tree.write('subscribe/mail.conf', ['queueName q_${BROKER_USER}', 'broker amqp://late@h/']);
    assert.equal(loadConfig(tree.paths, subscribe()).str('queueName'), 'q_${BROKER_USER}');
  });
});

describe('order-sensitive rules', () => {
  it('accept and reject keep their order and the directory written above them', () => {
    tree.write('subscribe/mail.conf', [
      'directory /a', 'accept .*invoice.*', 'reject .*spam.*', 'directory /b', 'accept .*',
    ]);
    const config: Config = loadConfig(tree.paths, subscribe());
    assert.deepEqual(config.masks.map((m) => [m.action, m.pattern, m.directory, m.where.line]), [
      ['accept', '.*invoice.*', '/a', 2], ['reject', '.*spam.*', '/a', 3], ['accept', '.*', '/b', 5],
    ]);
    assert.equal(config.masks[0]?.regex.test('imaps://u@h/INBOX/invoice-1.eml'), true);
    assert.equal(config.masks[0]?.regex.test('x'), false);
    assert.equal(config.masks[1]?.regex.test('no spam at the start'), true);
  });

  it('accept lines keep the mirror, strip and flatten written above them; the config keeps the last; a bad strip regex is said at its line', () => {
    tree.write('subscribe/mail.conf', ['directory /a', 'mirror on', 'strip 1', 'accept .*Invoices.*', 'mirror off', 'flatten -', 'accept .*']);
    const config = loadConfig(tree.paths, subscribe());
    assert.deepEqual(config.masks.map((m) => m.layout), [
      { mirror: true, strip: { count: 1 }, flatten: '/' }, { mirror: false, strip: { count: 1 }, flatten: '-' },
    ]);
    assert.deepEqual(config.layout, { mirror: false, strip: { count: 1 }, flatten: '-' });
    tree.write('subscribe/mail.conf', ['directory /a', 'strip (INBOX']);
    assert.throws(() => loadConfig(tree.paths, subscribe()), (error: unknown) => /mail\.conf:2: "strip" needs a count or a regular expression/.test(String(error)));
  });

  it('matches accept patterns from the start only, as sr3 (Python re.match) does', () => {
    tree.write('subscribe/mail.conf', ['accept invoice']);
    const [mask] = loadConfig(tree.paths, subscribe()).masks;
    assert.equal(mask?.regex.test('invoice-2.eml'), true);
    assert.equal(mask?.regex.test('imaps://h/invoice-2.eml'), false);
  });

  it('subtopic takes the exchange, topicPrefix and queueName written above it', () => {
    tree.write('subscribe/mail.conf', [
      'subtopic INBOX.#', 'exchange xs_mail', 'topicPrefix v03.mail', 'subtopic Invoices/*/2026', 'queueName q_x',
    ]);
    const config = loadConfig(tree.paths, subscribe());
    assert.deepEqual(config.subtopics.map((b) => [b.exchange, b.topicPrefix, b.subtopic, b.queueName]), [
      [undefined, 'v03', 'INBOX.#', undefined],
      ['xs_mail', 'v03.mail', 'Invoices.*.2026', undefined],
    ]);
  });

  it('refuses accept with several words instead of silently dropping them', () => {
    tree.write('subscribe/mail.conf', ['accept .*a b.*']);
    assert.match(errorsOf(() => loadConfig(tree.paths, subscribe()))[0] ?? '', /accept takes one regular expression; write spaces in it as \\s/);
  });
});
