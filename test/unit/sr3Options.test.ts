// Every option keyword of the vendored sr3 is known here: an option of mailpump, a directive
// of its parser, or an sr3 option with no effect in mailpump (a warning, never an error). And
// sr3's own example poll and subscribe configs load.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { postTarget, subscribeExchange } from '../../lib/broker/topology.js';
import { validateConfig } from '../../lib/components/validate.js';
import { ConfigErrors } from '../../lib/config/errors.js';
import { type Config, loadConfig } from '../../lib/config/load.js';
import { knownWords } from '../../lib/config/options.js';
import { renderSr3Doc } from '../../lib/config/sr3Doc.js';
import { mailpumpOwnWords, sr3KeywordsWithoutEffect } from '../../lib/config/sr3Options.js';
import { eventLog, loggedEvents } from '../../lib/flow/logEvents.js';
import { acceptingMaskLogged, rejectionOf } from '../../lib/flow/masks.js';
import { createConsoleLogger } from '../../lib/log/logger.js';
import { holdsAddress } from '../../lib/components/poll/vip.js';
import { tlsSettings } from '../../lib/mail/tls.js';
import { PollState } from '../../lib/state/pollState.js';
import { withHeaders } from '../../lib/message.js';
import { ConfigTree } from '../helpers/configTree.js';
import { REPO } from '../helpers/sandbox.js';

const SR3 = path.join(REPO, '..', 'shared', 'vendor', 'sr3');

function sr3Keywords(): string[] {
  return execFileSync('/usr/bin/python3', [path.join(REPO, 'scripts', 'sr3-keywords.py'), SR3], { encoding: 'utf8' }).trim().split('\n');
}

describe('sr3 options', () => {
  // mailpump's options, aliases and directives (include, declare, header...): every word its parser takes.
  const ours = new Set(knownWords());
  const withoutEffect = sr3KeywordsWithoutEffect();

  it('are each an option of mailpump or listed as without effect, and the list holds nothing else', () => {
    const keywords = sr3Keywords();
    assert.ok(keywords.length > 400, `the vendored sr3 knows ${keywords.length} keywords`);
    assert.deepEqual(keywords.filter((word) => !ours.has(word) && !withoutEffect.has(word)), [], 'sr3 keywords mailpump does not know');
    assert.deepEqual([...withoutEffect.keys()].filter((word) => ours.has(word)), [], 'listed as without effect, yet implemented');
    const known = new Set(keywords);
    assert.deepEqual([...withoutEffect.keys()].filter((word) => !known.has(word)), [], 'listed, yet not an sr3 keyword');
    assert.deepEqual([...ours].filter((word) => !known.has(word)).sort(), [...mailpumpOwnWords()].sort(), 'mailpump\'s own words, those sr3 lacks');
  });

  it('are listed in docs/sr3.md as the tables say (run npm run docs:sr3 after changing them)', () => {
    assert.equal(fs.readFileSync(path.join(REPO, 'docs', 'sr3.md'), 'utf8'), renderSr3Doc(sr3Keywords()));
    assert.equal(fs.readFileSync(path.join(REPO, 'docs', 'fr', 'sr3.md'), 'utf8'), renderSr3Doc(sr3Keywords(), 'fr'));
  });

  it('without effect are read with a warning naming the line and why, a typo still refused with a suggestion', () => {
    const tree = new ConfigTree();
    try {
      tree.write('subscribe/x.conf', ['directory /data', 'accelThreshold 10M', 'report on', 'directry /data']);
      assert.throws(() => loadConfig(tree.paths, { component: 'subscribe', name: 'x' }), (error: unknown) => error instanceof ConfigErrors
        && error.errors.length === 1 && error.errors[0]!.message === 'subscribe/x.conf:4: unknown option "directry" (did you mean "directory"?)');
      tree.write('subscribe/x.conf', ['directory /data', 'accelThreshold 10M', 'report on']);
      assert.deepEqual(loadConfig(tree.paths, { component: 'subscribe', name: 'x' }).warnings, [
        'subscribe/x.conf:2: "accelThreshold" is an sr3 option with no effect in mailpump: it tunes how sr3 transfers and places files; mailpump writes the parts of mail, named and made durable its own way',
        'subscribe/x.conf:3: "report" is an sr3 option with no effect in mailpump: it concerns sr3\'s reports, clusters and message sources, which mailpump neither sends nor reads',
      ]);
    } finally {
      tree.remove();
    }
  });

  for (const component of ['poll', 'subscribe'] as const) {
    const dir = path.join(SR3, 'sarracenia', 'examples', component);
    it(`sr3's example ${component} configs load but for what mailpump cannot do (https polls, MQTT) and words sr3 does not know either`, () => {
      const keywords = new Set(sr3Keywords());
      const refused: string[] = [];
      let loaded = 0;
      for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.conf'))) {
        const tree = new ConfigTree();
        try {
          tree.write(`${component}/${file}`, fs.readFileSync(path.join(dir, file), 'utf8'));
          loadConfig(tree.paths, { component, name: file.slice(0, -'.conf'.length) });
          loaded += 1;
        } catch (error) {
          if (!(error instanceof ConfigErrors)) throw error;
          for (const { message } of error.errors) {
            const unknown = /unknown option "([^"]+)"/.exec(message)?.[1];
            if ((unknown !== undefined && keywords.has(unknown)) || message.includes('is not an option of')) refused.push(message);
          }
        } finally {
          tree.remove();
        }
      }
      assert.deepEqual(refused, [], 'no sr3 option refused');
      assert.ok(loaded >= (component === 'poll' ? 0 : 20), `${loaded} loaded`);
    });
  }
});

describe('sr3 options mailpump implements', () => {
  const load = (component: 'poll' | 'subscribe', lines: readonly string[]) => {
    const tree = new ConfigTree();
    try {
      tree.write(`${component}/x.conf`, lines);
      return loadConfig(tree.paths, { component, name: 'x' });
    } finally {
      tree.remove();
    }
  };
  const validationErrors = (config: Config) => {
    try {
      validateConfig(config);
      return [];
    } catch (error) {
      if (!(error instanceof ConfigErrors)) throw error;
      return error.errors.map((e) => e.message);
    }
  };

  it('exchangeSuffix and post_exchangeSuffix name xs_<user>_<suffix> when no exchange is written', () => {
    const subscribe = load('subscribe', ['broker amqp://feeder@broker.example.org/', 'exchangeSuffix mail', 'directory /data', 'post_broker amqp://feeder@broker.example.org/', 'post_exchangeSuffix files']);
    assert.equal(subscribeExchange(subscribe), 'xs_feeder_mail');
    assert.equal(postTarget(subscribe)?.exchange, 'xs_feeder_files');
    assert.equal(subscribeExchange(load('subscribe', ['broker amqp://feeder@broker.example.org/', 'exchange xpublic', 'exchangeSuffix mail', 'directory /data'])), 'xpublic');
    assert.equal(postTarget(load('poll', ['post_exchangeSuffix mail']))?.exchange, 'xs_anonymous_mail', 'the local broker\'s user is anonymous');
  });

  it('tlsRigour lax does not verify, strict always does and asks TLS 1.2, and refuses tlsVerify off', () => {
    assert.equal(tlsSettings(load('poll', ['tlsRigour lax'])).verify, false);
    assert.deepEqual(tlsSettings(load('poll', ['tlsRigour strict'])), { required: true, verify: true, ca: undefined, minVersion: 'TLSv1.2' });
    assert.equal(tlsSettings(load('poll', [])).verify, true);
    assert.deepEqual(validationErrors(load('subscribe', ['directory /tmp', 'tlsRigour strict', 'tlsVerify off'])),
      ['subscribe/x.conf:3: "tlsVerify off" contradicts "tlsRigour strict", which always verifies certificates: keep one']);
  });

  it('header name=value lines become fields of each notification, never replacing one it has', () => {
    const config = load('poll', ['header team=compta', 'header baseUrl=elsewhere']);
    const notification = withHeaders({ pubTime: '20261202T000000', baseUrl: 'imaps://u@h:993/', relPath: 'INBOX/1.eml' }, config.headers);
    assert.equal(notification.team, 'compta');
    assert.equal(notification.baseUrl, 'imaps://u@h:993/');
    assert.throws(() => load('poll', ['header __proto__=x']), ConfigErrors);
  });

  it('a poll\'s accept or reject that no mail URL can start with is refused, offering mailSearch for the subject it likely means', () => {
    const poll = (lines: string[]) => validationErrors(load('poll', ['pollUrl imaps://u@h/', ...lines]));
    assert.deepEqual(poll(['accept .*Facture.*', 'reject imaps://u@h:993/Spam/.*', 'reject ^pops?://.*', 'accept pop.*']), []);
    const [said] = poll(['accept Facture\\s2026.*']);
    assert.match(said ?? '', /accept Facture\\s2026\.\* never matches: .* write it as \.\*Facture\\s2026\.\*; to choose mail by its subject, write mailSearch SUBJECT "Facture 2026"/);
  });

  it('vip takes addresses or the broker\'s lease, on a broker the hosts share; the address is looked for on this host\'s interfaces', () => {
    const poll = (lines: string[]) => validationErrors(load('poll', ['pollUrl imaps://u@h/', ...lines]));
    assert.deepEqual(poll(['post_broker amqp://u@rabbit/', 'vip 192.0.2.10', 'vip 2001:db8::1']), []);
    assert.deepEqual(poll(['post_broker amqps://u@rabbit/', 'vip broker']), []);
    assert.match(poll(['vip broker']).join('\n'), /post_broker must be an amqp:\/\/ or amqps:\/\/ broker they all reach/);
    assert.match(poll(['post_broker amqp://u@rabbit/', 'vip rabbit.example.org']).join('\n'), /vip needs an IP address \(or "broker"/);
    assert.match(poll(['post_broker amqp://u@rabbit/', 'vip broker', 'vip 192.0.2.10']).join('\n'), /write it alone/);
    const interfaces = { lo: [{ address: '127.0.0.1' }], eth0: [{ address: '192.0.2.10' }] } as unknown as ReturnType<typeof os.networkInterfaces>;
    assert.equal(holdsAddress(['198.51.100.1', '192.0.2.10'], interfaces), true);
    assert.equal(holdsAddress(['198.51.100.1'], interfaces), false);
  });

  it('a poll\'s cursor snapshot moves another host\'s cursor forward, never back within one UIDVALIDITY, and a new UIDVALIDITY starts the folder again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-cursor-'));
    try {
      const [active, standby] = ['a', 'b'].map((name) => PollState.open(path.join(dir, `${name}.sqlite`)));
      active!.resetCursor('imaps://u@h/', 'INBOX', 7, 0);
      active!.advance('imaps://u@h/', 'INBOX', 40, undefined);
      active!.recordPop('pops://u@h/', 'uidl-1');
      standby!.resetCursor('imaps://u@h/', 'INBOX', 7, 0);
      standby!.advance('imaps://u@h/', 'INBOX', 50, undefined);
      standby!.applySnapshot(active!.snapshot());
      assert.equal(standby!.cursor('imaps://u@h/', 'INBOX')?.lastUid, 50, 'never back');
      assert.deepEqual([...standby!.popAnnounced('pops://u@h/')], ['uidl-1']);
      standby!.follow('imaps://u@h/', 'INBOX', 8, 3, 'id');
      assert.deepEqual(standby!.cursor('imaps://u@h/', 'INBOX'), { uidValidity: 8, lastUid: 3, reconcileUntil: 0 });
      assert.throws(() => standby!.applySnapshot({ imap: [{ account: 'x', folder: 'y', uidValidity: 1, lastUid: -5 }], pop: [] }), /is not a UID/);
      assert.equal(standby!.cursor('x', 'y'), undefined, 'a snapshot with a UID that is not one changes nothing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logEvents chooses the steps said at info, as an sr3 set (+, -, all, None), logReject adding reject', () => {
    assert.deepEqual([...loggedEvents(load('subscribe', ['directory /data']))].sort(), ['after_accept', 'after_post', 'after_work', 'on_housekeeping']);
    assert.deepEqual([...loggedEvents(load('subscribe', ['directory /data', 'logEvents -after_accept,after_post', 'logReject on']))].sort(), ['after_work', 'on_housekeeping', 'reject']);
    assert.deepEqual([...loggedEvents(load('poll', ['logEvents None']))], []);
    assert.equal(loggedEvents(load('poll', ['logEvents all'])).has('nodupe'), true);
    assert.throws(() => load('poll', ['logEvents +after_acept']), (error: unknown) => /does not know "after_acept"/.test(String(error)));
    const config = load('subscribe', ['directory /data', 'logEvents after_work', 'reject .*/Spam/.*']);
    const lines: string[] = [];
    const logger = createConsoleLogger('info', []);
    logger.info = ((line: string) => { lines.push(`info ${line}`); return logger; }) as typeof logger.info;
    const events = eventLog(config, logger);
    events('after_work', () => 'written');
    events('after_accept', () => { throw new Error('a line not logged is not built'); });
    assert.equal(acceptingMaskLogged(config, 'imaps://u@h:993/Spam/1.eml', events), undefined);
    assert.deepEqual(lines, ['info written'], 'reject not chosen: said at debug only, and this logger logs no debug');
    const withReject = eventLog(load('subscribe', ['directory /data', 'logEvents reject', 'reject .*/Spam/.*']), logger);
    acceptingMaskLogged(config, 'imaps://u@h:993/Spam/1.eml', withReject);
    assert.match(lines[1] ?? '', /^info rejected: imaps:\/\/u@h:993\/Spam\/1.eml: reject/);
  });

  it('logReject says which rule dropped a notification', () => {
    const config = load('subscribe', ['directory /data', 'reject .*/Spam/.*', 'accept .*/INBOX/.*', 'acceptUnmatched off']);
    assert.equal(rejectionOf(config, 'imaps://u@h:993/Spam/1.eml'), 'reject .*/Spam/.* (subscribe/x.conf:2)');
    assert.equal(rejectionOf(config, 'imaps://u@h:993/Other/1.eml'), 'no accept line takes it (acceptUnmatched off)');
    assert.equal(rejectionOf(config, 'imaps://u@h:993/INBOX/1.eml'), undefined);
  });
});
