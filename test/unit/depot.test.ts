// The directory source's parts: what a listing takes and leaves, the check that an item is
// still the one announced, fileAction's renames and their repetition after a crash, the
// refusal of notifications that name other directories or paths, and a deposit directory
// taken apart, found malformed, or no deposit at all.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { depotItemRef } from '../../lib/components/subscribe/depotNotification.js';
import { NotMailNotification } from '../../lib/components/subscribe/mailNotification.js';
import { applyFileAction, FileActionError, parseFileAction } from '../../lib/depot/actions.js';
import { checkItem, ItemChanged, ItemGone } from '../../lib/depot/item.js';
import { listDepot } from '../../lib/depot/listing.js';
import { depotLocation, depotTopic } from '../../lib/depot/location.js';
import { SubscribeState } from '../../lib/state/subscribeState.js';
import { validateConfig } from '../../lib/components/validate.js';
import { ConfigErrors } from '../../lib/config/errors.js';
import { loadConfig } from '../../lib/config/load.js';
import { ConfigTree } from '../helpers/configTree.js';
import { decodeDepotItem } from '../helpers/depotItem.js';
import { walk } from '../helpers/files.js';
import { REPO } from '../helpers/sandbox.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-depot-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const fresh = () => {
  const directory = path.join(scratch, `d${++counter}`);
  fs.mkdirSync(directory);
  return directory;
};
const old = (file: string, seconds = 60) => {
  const when = new Date(Date.now() - seconds * 1000);
  fs.utimesSync(file, when, when);
};
const DEPOSIT = path.join(REPO, '..', 'shared', 'fixtures', 'adullact', 'pastell-depot', 'facture-cpp_FA-2025-0001');

describe('a watched directory', () => {
  it('lists files and complete deposits, oldest first; never dot or .tmp names, links, young files or deposits without their marker', () => {
    const root = fresh();
    fs.writeFileSync(path.join(root, 'b.xml'), 'b');
    old(path.join(root, 'b.xml'), 30);
    fs.writeFileSync(path.join(root, 'a.xml'), 'aa');
    old(path.join(root, 'a.xml'), 90);
    fs.writeFileSync(path.join(root, 'young.xml'), 'y');
    for (const name of ['.hidden', 'scan.pdf.tmp']) fs.writeFileSync(path.join(root, name), 'x');
    fs.symlinkSync('/etc/passwd', path.join(root, 'link.xml'));
    fs.mkdirSync(path.join(root, 'writing'));
    fs.writeFileSync(path.join(root, 'writing', 'metadata.xml'), '<flux/>');
    fs.mkdirSync(path.join(root, 'done'));
    fs.cpSync(DEPOSIT, path.join(root, 'deposit'), { recursive: true });
    fs.symlinkSync(path.join(root, 'deposit'), path.join(root, 'linked-deposit'));
    const listing = listDepot(root, 5000);
    assert.deepEqual(listing.ready.map((item) => `${item.name} ${item.entry}`), ['a.xml file', 'b.xml file', 'deposit deposit'], 'by modification time (a deposit by its marker\'s)');
    assert.deepEqual([...listing.young], ['young.xml']);
    const deposit = listing.ready.find((item) => item.name === 'deposit')!;
    assert.equal(deposit.size, walk(DEPOSIT).reduce((sum, file) => sum + fs.statSync(path.join(DEPOSIT, file)).size, 0), 'a deposit\'s size is its files\'');
    assert.throws(() => listDepot(path.join(root, 'missing'), 0), /the directory .*missing does not exist/);
  });

  it('knows an item changed since it was announced, or gone', () => {
    const root = fresh();
    const file = path.join(root, 'a.xml');
    fs.writeFileSync(file, 'one');
    old(file);
    const [item] = listDepot(root, 0).ready;
    checkItem(file, 'file', item!.key);
    fs.writeFileSync(file, 'two, longer');
    assert.throws(() => checkItem(file, 'file', item!.key), ItemChanged);
    fs.rmSync(file);
    assert.throws(() => checkItem(file, 'file', item!.key), ItemGone);
    fs.cpSync(DEPOSIT, path.join(root, 'deposit'), { recursive: true });
    const [deposit] = listDepot(root, 0).ready;
    checkItem(path.join(root, 'deposit'), 'deposit', deposit!.key);
    fs.rmSync(path.join(root, 'deposit', 'fichier_termine.txt'));
    assert.throws(() => checkItem(path.join(root, 'deposit'), 'deposit', deposit!.key), /without its marker/);
  });

  it('names the directory in URLs and topics', () => {
    assert.deepEqual(depotLocation('file:///srv/my.depot'), { root: '/srv/my.depot', label: 'file:/srv/my.depot/' });
    assert.equal(depotTopic(depotLocation('file:/srv/my.depot/in%20box/')), 'file.srv.my%2Edepot.in box');
  });
});

describe('fileAction', () => {
  it('is leave, move <directory> or delete', () => {
    assert.deepEqual(parseFileAction('move done'), { kind: 'move', directory: 'done' });
    assert.throws(() => parseFileAction('move'), FileActionError);
    assert.throws(() => parseFileAction('seen'), /needs leave, move <directory> or delete, got "seen"/);
    assert.throws(() => parseFileAction('delete now'), /takes nothing after it/);
  });

  it('moves an item into the done directory, beside an older one of the same name; a second time finds it gone', async () => {
    const root = fresh();
    fs.mkdirSync(path.join(root, 'done'));
    fs.writeFileSync(path.join(root, 'done', 'a.xml'), 'older');
    fs.writeFileSync(path.join(root, 'a.xml'), 'newer');
    await applyFileAction({ kind: 'move', directory: 'done' }, root, 'a.xml');
    assert.deepEqual(fs.readdirSync(path.join(root, 'done')).sort(), ['a.xml', 'a.xml.1']);
    assert.equal(fs.readFileSync(path.join(root, 'done', 'a.xml.1'), 'utf8'), 'newer');
    await assert.rejects(applyFileAction({ kind: 'move', directory: 'done' }, root, 'a.xml'), ItemGone);
  });

  it('deletes by a rename aside first: repeated after a crash between the two, it removes what was set aside', async () => {
    const root = fresh();
    fs.cpSync(DEPOSIT, path.join(root, 'deposit'), { recursive: true });
    // As a crash after the rename leaves it.
    fs.renameSync(path.join(root, 'deposit'), path.join(root, '.mailpump-deleting-deposit'));
    assert.deepEqual(listDepot(root, 0).ready, [], 'what is set aside is never listed');
    await applyFileAction({ kind: 'delete' }, root, 'deposit');
    assert.deepEqual(fs.readdirSync(root), []);
    await assert.rejects(applyFileAction({ kind: 'delete' }, root, 'deposit'), ItemGone);
  });

  it('refuses a move to another file system, which could not be one rename', async (t) => {
    const other = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/mailpump-depot-') : undefined;
    if (!other || fs.statSync(other).dev === fs.statSync(scratch).dev) {
      if (other) fs.rmSync(other, { recursive: true });
      t.diagnostic('no second file system here: the EXDEV branch is not reached');
      return;
    }
    try {
      const root = fresh();
      fs.writeFileSync(path.join(root, 'a.xml'), 'a');
      await assert.rejects(applyFileAction({ kind: 'move', directory: other }, root, 'a.xml'), /is on another file system than .*; a move must be a rename/);
      assert.ok(fs.existsSync(path.join(root, 'a.xml')), 'left where it was');
    } finally {
      fs.rmSync(other, { recursive: true });
    }
  });
});

describe('a watched directory in a config', () => {
  const errorsOf = (component: 'poll' | 'subscribe', lines: string[]) => {
    const tree = new ConfigTree();
    tree.write(`${component}/depot.conf`, lines);
    try {
      validateConfig(loadConfig(tree.paths, { component, name: 'depot' }));
      return [];
    } catch (error) {
      if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
      throw error;
    } finally {
      tree.remove();
    }
  };
  it('says what is wrong with a fileAction, a vip, a firstPass or a mask, by file and line', () => {
    assert.deepEqual(errorsOf('subscribe', ['directory /tmp/out', 'fileAction seen']), ['subscribe/depot.conf:2: "fileAction" needs leave, move <directory> or delete, got "seen"']);
    assert.deepEqual(errorsOf('poll', ['pollUrl file:/srv/depot/', 'firstPass unseen', 'vip 192.0.2.1', 'post_broker amqp://b.example.com/', 'accept file:/srv/depot/.*\\.xml']), [
      'poll/depot.conf:2: "firstPass unseen" needs IMAP: a file is never read or unread (file:/srv/depot/); use all, new or since YYYY-MM-DD (by modification time)',
      'poll/depot.conf:3: vip shares a mailbox\'s cursor between hosts; a watched directory\'s (file:/srv/depot/) is not shared: poll it from one host',
    ], 'an accept on file: URLs is fine');
  });
});

describe('a directory item\'s notification', () => {
  const watched = new Set(['file:/srv/depot/']);
  const notification = (fields: Record<string, unknown>, baseUrl = 'file:/srv/depot/') => ({ pubTime: '20261203T000000.000', baseUrl, relPath: 'x', depot: { name: 'x.xml', entry: 'file', item: 'file|1|2', ...fields } });
  it('names an item of a directory a poll of this host watches, by a plain name', () => {
    const ref = depotItemRef(notification({}), watched);
    assert.equal(ref.path, '/srv/depot/x.xml');
    assert.equal(ref.serverKey, 'file:/srv/depot/|x.xml|file|1|2');
    assert.throws(() => depotItemRef(notification({}, 'file:/etc/'), watched), /\/etc is not a directory that a poll of this host watches/);
    for (const name of ['../etc/passwd', 'a/b', '..', '', 42]) assert.throws(() => depotItemRef(notification({ name }), watched), NotMailNotification, String(name));
    assert.throws(() => depotItemRef(notification({ entry: 'socket' }), watched), /not file or deposit/);
  });
});

describe('a deposit directory, decoded', () => {
  const state = SubscribeState.open(path.join(scratch, 'subscribe.sqlite'));
  after(() => state.close());
  const decode = (root: string, name: string, out: string) => decodeDepotItem(root, name, out, state);
  const data = (out: string) => walk(out).filter((file) => !file.includes('.mailpump-staging')).sort();

  it('writes its documents by kind, not its metadata nor its marker, and keeps a file it does not list', async () => {
    const root = fresh();
    const out = fresh();
    fs.cpSync(DEPOSIT, path.join(root, 'deposit'), { recursive: true });
    fs.writeFileSync(path.join(root, 'deposit', 'bordereau-extra.pdf'), '%PDF-1.4 unlisted');
    const result = await decode(root, 'deposit', out);
    assert.deepEqual(result.written.map(({ envelope }) => `${envelope?.name} ${envelope?.role}`).sort(), ['CPPFacturePivot_FA-2025-0001.xml facture_xml', 'FA-2025-0001.pdf facture_pdf', 'bordereau-extra.pdf unlisted']);
    assert.deepEqual(data(out), ['chorus_fact/CPPFacturePivot_FA-2025-0001.xml', 'chorus_fact/FA-2025-0001.pdf', 'chorus_fact/bordereau-extra.pdf'], 'the pivot is not taken apart again');
  });

  it('sets a deposit aside whole when it holds a link, or lists a file it lacks; nothing of it is written', async () => {
    for (const damage of ['link', 'missing'] as const) {
      const root = fresh();
      const out = fresh();
      fs.cpSync(DEPOSIT, path.join(root, 'deposit'), { recursive: true });
      if (damage === 'link') fs.symlinkSync('/etc/hostname', path.join(root, 'deposit', 'FA-2025-0001-bis.pdf'));
      else fs.rmSync(path.join(root, 'deposit', 'FA-2025-0001.pdf'));
      const result = await decode(root, 'deposit', out);
      assert.deepEqual(result.written, [], damage);
      assert.match(result.setAside[0]!.reason, damage === 'link' ? /deposit: a malformed Pastell deposit: it holds "FA-2025-0001-bis.pdf", which is not a plain file/ : /names FA-2025-0001\.pdf, which it lacks/);
      assert.ok(data(out).every((file) => file.startsWith('quarantine/deposit__')), `${damage}: only the quarantine: ${data(out).join(', ')}`);
      assert.ok(data(out).includes('quarantine/deposit__metadata.xml.reason.txt'));
    }
  });

  it('streams a PES file to its PJs; one whose PJ is damaged is set aside whole, nothing of it written', async () => {
    const pes = fs.readFileSync(path.join(REPO, '..', 'shared', 'fixtures', 'adullact', 'helios', 'PESALR2_SAMPLE_20250114_001.xml'));
    for (const damaged of [false, true]) {
      const root = fresh();
      const out = fresh();
      const bytes = damaged ? Buffer.from(pes.toString('latin1').replace(/(<Fichier[^>]*>)H4sI/, '$1H4s*'), 'latin1') : pes;
      fs.writeFileSync(path.join(root, 'PES.xml'), bytes);
      old(path.join(root, 'PES.xml'));
      const result = await decode(root, 'PES.xml', out);
      if (damaged) {
        assert.deepEqual(data(out), ['quarantine/PES.xml', 'quarantine/PES.xml.reason.txt']);
        assert.match(result.setAside[0]!.reason, /PES\.xml: a malformed helios envelope \(pes-xml\): the PJ FA-2025-0001\.pdf is not base64/);
      } else {
        assert.deepEqual(result.written.map(({ envelope }) => `${envelope?.name} ${envelope?.role} ${envelope?.extractedFrom ?? '-'}`), ['PES.xml pes -', 'FA-2025-0001.pdf pj PES_PJ/PJ/Contenu/Fichier']);
        assert.deepEqual(data(out), ['helios/FA-2025-0001.pdf', 'helios/PES.xml']);
      }
    }
  });

  it('writes the files of a complete directory that is no deposit each on its own, an envelope among them taken apart', async () => {
    const root = fresh();
    const out = fresh();
    fs.mkdirSync(path.join(root, 'batch'));
    fs.copyFileSync(path.join(DEPOSIT, 'CPPFacturePivot_FA-2025-0001.xml'), path.join(root, 'batch', 'pivot.xml'));
    fs.writeFileSync(path.join(root, 'batch', 'readme.txt'), 'plain');
    fs.writeFileSync(path.join(root, 'batch', 'fichier_termine.txt'), '');
    await decode(root, 'batch', out);
    assert.deepEqual(data(out), ['chorus_fact/FA-2025-0001.pdf', 'chorus_fact/pivot.xml', 'mail/readme.txt']);
  });
});
