import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileNotification } from '../../lib/components/subscribe/post.js';
import { postUrls } from '../../lib/components/subscribe/settings.js';
import { validateConfig } from '../../lib/components/validate.js';
import { ConfigErrors } from '../../lib/config/errors.js';
import { loadConfig } from '../../lib/config/load.js';
import { fillTemplate, isInside, TemplateError, templateRoot } from '../../lib/decode/templates.js';
import { mailActionWords, parseMailAction } from '../../lib/mail/mailSource.js';
import { partTag, removeStaging, STAGING_FOLDER, StagedFile } from '../../lib/output/stagedFile.js';
import { SubscribeState } from '../../lib/state/subscribeState.js';
import { ConfigTree } from '../helpers/configTree.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-parts-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('directory templates', () => {
  const when = new Date(Date.UTC(2026, 10, 22, 8, 5, 9));
  it('fills strftime and sr3 dates in UTC', () => {
    assert.equal(fillTemplate('/d/${%Y%m%d}/${%H%M%S}/${%j}', {}, when), '/d/20261122/080509/326');
    assert.equal(fillTemplate('/d/${YYYYMMDD}/${YYYY}-${MM}-${DD}/${YYYYMMDD-1D}/${HH-9H}', {}, when), '/d/20261122/2026-11-22/20261121/23');
  });

  it('fills message fields, each made a safe path level', () => {
    const fields = { folderLevels: ['INBOX', 'Factures'], from: 'Trésor <tresor@example.org>', subject: '../../etc/passwd', uid: 42, messageId: '<a/b@c>' };
    assert.equal(fillTemplate('/d/${FOLDER}/${FROM}/${SUBJECT}/${UID}/${MSGID}', fields, when), '/d/INBOX/Factures/tresor@example.org/passwd/42/b@c');
    assert.equal(fillTemplate('/d/${SUBJECT}', { subject: '..' }, when), '/d/_');
  });

  it('names an unknown field', () => {
    assert.throws(() => fillTemplate('/d/${SUBJ}', {}, when), (error: unknown) => error instanceof TemplateError && /\$\{SUBJ\} is not a field/.test(error.message));
  });

  it('tells inside from outside: `..x` is a name, not a climb', () => {
    assert.ok(isInside('/d', '/d/x.pdf'));
    assert.ok(isInside('/d', '/d/..x.pdf'));
    assert.ok(!isInside('/d', '/d/../x.pdf'));
    assert.ok(!isInside('/d', '/d/..'));
    assert.ok(!isInside('/d', '/d'));
  });

  it('finds the fixed root of a template, where files are staged', () => {
    assert.equal(templateRoot('/data/in/${%Y%m%d}/x'), '/data/in');
    assert.equal(templateRoot('/data/in/pre${FOLDER}'), '/data/in');
    assert.equal(templateRoot('/data/in'), '/data/in');
    assert.equal(templateRoot('/${YYYY}'), '/');
  });

  it('bounds levels made from mail text, in bytes, whatever their length', () => {
    const level = fillTemplate('/d/${MSGID}', { messageId: `<${'é'.repeat(400_000)}@x>` }, when).slice(3);
    assert.ok(Buffer.byteLength(level) <= 100 && level.length > 40, level);
  });
});

describe('staged files', () => {
  it('places a file under its name, the same bytes again as already present, other bytes with a deterministic suffix', async () => {
    const dir = path.join(scratch, 'staged');
    const write = async (content: string, tag: string) => {
      const file = StagedFile.create(dir, 'facture.pdf');
      await file.writeAll(Buffer.from(content));
      return file.place(tag);
    };
    const first = await write('one', partTag('a', '2'));
    assert.equal(path.basename(first.path), 'facture.pdf');
    assert.equal(first.alreadyPresent, false);
    assert.equal(first.sha256, '7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed');
    const again = await write('one', partTag('a', '2'));
    assert.deepEqual([again.path, again.alreadyPresent], [first.path, true]);
    const other = await write('two', partTag('b', '3'));
    assert.equal(path.basename(other.path), `facture~${partTag('b', '3')}.pdf`);
    const otherAgain = await write('two', partTag('b', '3'));
    assert.deepEqual([otherAgain.path, otherAgain.alreadyPresent], [other.path, true], 'a retry finds its own file');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['facture.pdf', `facture~${partTag('b', '3')}.pdf`], 'no temporary file left');
  });

  it('leaves nothing behind when discarded', () => {
    const dir = path.join(scratch, 'discarded');
    StagedFile.create(dir, 'x.pdf').discard();
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('stages in the writer\'s own directory, removed whole with removeStaging', async () => {
    const dir = path.join(scratch, 'own');
    const staging = { root: dir, writer: 'subscribe_x_01.t7' };
    const file = StagedFile.create(path.join(dir, '2026'), 'a.pdf', staging);
    assert.equal(path.dirname(file.tempPath), path.join(dir, STAGING_FOLDER, 'subscribe_x_01.t7'));
    StagedFile.create(path.join(dir, '2026'), 'b.pdf', { root: dir, writer: 'subscribe_x_010.t1' });
    removeStaging(dir, 'subscribe_x_01');
    assert.deepEqual(fs.readdirSync(path.join(dir, STAGING_FOLDER)), ['subscribe_x_010.t1'], 'another instance\'s staging is left alone');
  });

  it('never lets a write of a discarded file land in the next file opened (its descriptor is closed after the write)', async () => {
    const dir = path.join(scratch, 'race');
    for (let round = 0; round < 50; round += 1) {
      const doomed = StagedFile.create(dir, 'doomed.bin');
      doomed.stream.write(Buffer.alloc(64 * 1024, 0x41)); // in flight on its descriptor...
      doomed.discard(); // ...when the message fails
      const next = StagedFile.create(dir, `next-${round}.bin`);
      const content = Buffer.from(`round ${round}`);
      await next.writeAll(content);
      const placed = await next.place('t');
      assert.ok(fs.readFileSync(placed.path).equals(content), `round ${round}: the next file holds only its own bytes`);
    }
  });
});

describe('mailAction', () => {
  it('reads every action', () => {
    assert.deepEqual(parseMailAction('none'), { kind: 'none' });
    assert.deepEqual(parseMailAction('flag $Processed'), { kind: 'flag', keyword: '$Processed' });
    assert.deepEqual(parseMailAction('move EZGED_OK'), { kind: 'move', folder: 'EZGED_OK' });
    assert.deepEqual(parseMailAction('move INBOX/Done Mail'), { kind: 'move', folder: 'INBOX/Done Mail' });
  });

  it('is said back as written', () => {
    for (const text of ['none', 'seen', 'delete', 'flag $Processed', 'move INBOX/Done Mail']) assert.equal(mailActionWords(parseMailAction(text)), text);
  });

  it('is checked with the config, naming the file and line', () => {
    const tree = new ConfigTree();
    try {
      tree.write('subscribe/mail.conf', ['directory /data/${%Y%m%d}', 'mailAction archive', 'rawDirectory relative/${UID}', 'sidecar on']);
      tree.write('subscribe/both.conf', ['directory /data', 'mailAction move Done', 'delete on']);
      tree.write('subscribe/none.conf', ['sidecar on']);
      const errors = (name: string) => {
        try {
          validateConfig(loadConfig(tree.paths, { component: 'subscribe', name }));
          return [];
        } catch (error) {
          if (!(error instanceof ConfigErrors)) throw error;
          return error.errors.map((e) => e.message);
        }
      };
      assert.deepEqual(errors('mail'), [
        'subscribe/mail.conf:3: "rawDirectory" must be an absolute path, got "relative/${UID}"',
        'subscribe/mail.conf:2: "mailAction" needs none, seen, flag <keyword>, move <folder> or delete, got "archive"',
      ]);
      assert.deepEqual(errors('both'), ['subscribe/both.conf:3: "delete on" (mailAction delete) contradicts "mailAction move Done": keep one']);
      assert.match(errors('none')[0] ?? '', /a subscribe needs a directory/);
    } finally {
      tree.remove();
    }
  });
});

describe('file notifications downstream', () => {
  it('name each file by a URL a reader finds it by, post_baseUrl or not; file: alone with post_baseDir is refused', () => {
    const tree = new ConfigTree();
    try {
      tree.write('subscribe/base.conf', ['directory /data/mail', 'post_baseDir /data']);
      tree.write('subscribe/plain.conf', ['directory /data/mail']);
      tree.write('subscribe/mirror.conf', ['directory /data/mail', 'post_baseDir /data/', 'post_baseUrl http://files.example.org/mail/']);
      tree.write('subscribe/lost.conf', ['directory /data/mail', 'post_baseDir /data', 'post_baseUrl file:']);
      const config = (name: string) => loadConfig(tree.paths, { component: 'subscribe', name });
      const announce = (name: string, file: string) => {
        const { baseUrl, relPath } = fileNotification(postUrls(config(name)), { field: 'mail', values: { account: 'a' } },
          { partPath: '2', kind: 'attachment', fallbackName: 'part-2', contentType: 'application/pdf', depth: 0 }, { path: file, size: 1, sha256: '', sha512: '', alreadyPresent: false });
        return `${baseUrl}${relPath}`;
      };
      assert.equal(announce('base', '/data/mail/a b.pdf'), 'file:/data/mail/a b.pdf', 'file: and post_baseDir, as sr3 pairs them');
      assert.equal(announce('base', '/elsewhere/x.pdf'), 'file:/elsewhere/x.pdf', 'a file outside post_baseDir by its absolute path');
      assert.equal(announce('plain', '/data/mail/x.pdf'), 'file:/data/mail/x.pdf');
      assert.equal(announce('mirror', '/data/mail/x.pdf'), 'http://files.example.org/mail/mail/x.pdf');
      assert.throws(() => validateConfig(config('lost')), (error: unknown) => error instanceof ConfigErrors
        && error.errors[0]!.message === 'subscribe/lost.conf:3: "post_baseUrl file:" with "post_baseDir /data" announces paths relative to /data that no reader can find: write post_baseUrl file:/data/, or remove the post_baseUrl line (that is its default)');
    } finally {
      tree.remove();
    }
  });
});

describe('subscribe state', () => {
  it('remembers done messages, the journal and failures across openings', () => {
    const file = path.join(scratch, 'state', 'subscribe.sqlite');
    let state = SubscribeState.open(file);
    state.markPosted('k1');
    assert.equal(state.recordFailure('k1', 'undecodable', true).lasting, 1);
    assert.equal(state.recordFailure('k1', 'server down', false).lasting, 1);
    assert.equal(state.recordFailure('k1', 'undecodable', true).lasting, 2);
    state.close();
    state = SubscribeState.open(file);
    assert.ok(state.isPosted('k1'));
    state.markDone(['k1', 'msgid:<a@b>|10']);
    assert.equal(state.isPosted('k1'), false);
    assert.equal(state.doneKey(['x', 'msgid:<a@b>|10']), 'msgid:<a@b>|10');
    assert.equal(state.recordFailure('k1', 'again', true).lasting, 1, 'failures are forgotten once done');
    assert.deepEqual(state.claimNames([{ path: '/d/body.txt', owner: 'a|1' }, { path: '/d/x.pdf', owner: 'a|2' }]), new Set(['/d/body.txt', '/d/x.pdf']));
    assert.deepEqual(state.claimNames([{ path: '/d/body.txt', owner: 'b|1' }, { path: '/d/y.pdf', owner: 'b|2' }]), new Set(['/d/y.pdf']), 'a name claimed by another part is not given');
    assert.deepEqual(state.claimNames([{ path: '/d/body.txt', owner: 'a|1' }]), new Set(['/d/body.txt']), 'a retry finds its claim');
    assert.equal(state.expire(0), 0, 'a ttl of 0 keeps everything');
    state.close();
  });
});
