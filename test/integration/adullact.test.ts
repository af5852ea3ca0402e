// Adullact envelopes end to end on the bench Dovecot through sr start: the six mails of
// ../shared/fixtures/adullact/mail/ give exactly the files, roles and sidecars of
// expected-mail.json, routed into ${KIND} directories, announced with their envelope, on the
// local broker and on RabbitMQ, through a kill -9 of the subscribe in the middle; and a
// seventh mail whose ACTES archive is truncated has it quarantined with its reason while its
// other attachment is written.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Notification } from '../../lib/message.js';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, listMessages } from '../bench/mailbox.js';
import { amqpUrl } from '../bench/rabbitmq.js';
import { tapNotifications } from '../helpers/notificationTap.js';
import { walk } from '../helpers/files.js';
import { REPO, Sandbox, waitFor } from '../helpers/sandbox.js';

const MAIL = path.join(REPO, '..', 'shared', 'fixtures', 'adullact', 'mail');

interface ExpectedDocument { name: string; role: string; sha256: string }
interface ExpectedItem {
  outcome: 'decoded' | 'passthrough';
  kind?: string;
  producer?: string;
  metadata?: Record<string, unknown>;
  documents?: ExpectedDocument[];
  source?: ExpectedDocument;
  sha256?: string;
}
const expected = JSON.parse(fs.readFileSync(path.join(MAIL, 'expected-mail.json'), 'utf8')) as {
  messages: Array<{ eml: string; message_ids: string[]; attachments: Array<{ item: string }> }>;
  items: Record<string, ExpectedItem>;
};
/** The Message-ID of the mail each item comes in: two mails hold the same PES bytes (bare, and in a Pastell zip). */
const messageOfItem = new Map(expected.messages.flatMap((message) => message.attachments.map((attachment) => [attachment.item, message.message_ids[0]!] as const)));
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

interface Sidecar { sha256: string; messageId: string; envelope?: { kind: string; producer: string; groupId: string; role: string; metadata: Record<string, unknown> } }

/** A mail with a truncated ACTES archive and an ordinary attachment beside it. */
function damagedMail(): Buffer {
  const archive = fs.readFileSync(path.join(MAIL, '..', 'actes', 'SLO-EACT--000000000--20250115-1.tar.gz'));
  const truncated = archive.subarray(0, archive.length - 60);
  const attachment = (name: string, type: string, bytes: Buffer) => [
    '--b7', `Content-Type: ${type}; name="${name}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${name}"`, '',
    bytes.toString('base64').replace(/.{76}/g, '$&\r\n'), ''].join('\r\n');
  return Buffer.from([
    'From: tdt@s2low.invalid', 'To: ged@collectivite.invalid', 'Subject: damaged archive', 'Message-ID: <adullact-damaged@mailpump.invalid>',
    'Date: Wed, 15 Jan 2025 10:00:00 +0100', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b7"', '',
    '--b7', 'Content-Type: text/plain', '', 'see attached', '',
    attachment('SLO-EACT--000000000--20250115-2.tar.gz', 'application/x-gzip', truncated),
    attachment('note.txt', 'text/plain', Buffer.from('an ordinary attachment\n')),
    '--b7--', ''].join('\r\n'));
}

let bench: Bench;
let box: Sandbox;
before(async () => { bench = await getBench(); });
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

describe('Adullact envelopes from mail, through sr', () => {
  for (const brokerKind of ['local', 'rabbitmq'] as const) {
    it(`writes the six mails' documents by kind with their sidecars and notifications, through a kill -9 of the subscribe, on the ${brokerKind} broker`, { timeout: 180_000 }, async () => {
      const folder = `adullact-${brokerKind}-${Date.now().toString(36)}`;
      await appendMessages(bench, 'ingest', folder, [...expected.messages.map((message) => fs.readFileSync(path.join(MAIL, message.eml))), damagedMail()]);
      const files = path.join(box.home, 'files');
      const quarantine = path.join(box.home, 'quarantine');
      const url = brokerKind === 'local' ? 'local:' : amqpUrl(bench.rabbit, false);
      box.writeConfig('credentials.conf', `imaps://ingest:ingest-secret@127.0.0.1:${bench.dovecot.ports.imaps}/\n${brokerKind === 'rabbitmq' ? `${amqpUrl(bench.rabbit)}\n` : ''}`);
      const common = [`tlsCa ${bench.dovecot.caCert}`, 'metrics_writeInterval 1s'];
      const tapExchange = `xs_${bench.rabbit.user}_adullact_${Date.now().toString(36)}`;
      box.writeConfig('poll/mail.conf', ['callback poll.mail', ...common, `post_broker ${url}`, 'sleep 1s', `pollUrl imaps://ingest@127.0.0.1:${bench.dovecot.ports.imaps}/`, `folder ${folder}`].join('\n'));
      box.writeConfig('subscribe/mail.conf', ['callback download.mail_ingest', ...common, `broker ${url}`, `directory ${files}/\${KIND}`, 'envelopes adullact', 'sidecar on',
        `quarantineDirectory ${quarantine}`, `mailAction move ${folder}-done`, `post_broker ${url}`, `post_exchange ${tapExchange}`, `post_baseDir ${files}`].join('\n'));
      const tap = await tapNotifications(bench, brokerKind, box.cacheDir, tapExchange);
      const dataFiles = () => walk(files).filter((file) => !path.basename(file).startsWith('.') && !file.includes('.mailpump-staging'));
      try {
        assert.equal(box.sr(['start']).code, 0);
        await waitFor(() => dataFiles().length > 0, 60000, 'the first file');
        process.kill(box.pidOf('subscribe', 'mail', 1), 'SIGKILL');
        const deadline = Date.now() + 120_000;
        while ((await listMessages(bench, 'ingest', folder)).length > 0) {
          if (Date.now() > deadline) throw new Error('the mails were not all ingested');
          box.sr(['sanity']);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        await new Promise((resolve) => setTimeout(resolve, 2000)); // the last notifications reach the tap
        const announced = new Map(tap.notifications.map((notification) => [notification.relPath, notification]));

        const written = dataFiles();
        const byHash = new Map<string, string[]>();
        for (const file of written) {
          const hash = sha256(fs.readFileSync(path.join(files, file)));
          byHash.set(hash, [...(byHash.get(hash) ?? []), file]);
        }
        const sidecarOf = (file: string) => JSON.parse(fs.readFileSync(path.join(files, path.dirname(file), `.${path.basename(file)}.json`), 'utf8')) as Sidecar;
        let expectedCount = 0;
        const groups = new Map<string, string>();
        for (const [id, item] of Object.entries(expected.items)) {
          if (item.outcome === 'passthrough') {
            const matches = byHash.get(item.sha256!) ?? [];
            const plain = matches.filter((file) => file.startsWith(`mail${path.sep}`));
            assert.equal(plain.length, 1, `${id}: written once as an ordinary file under mail/ (${matches.join(', ')})`);
            assert.equal(sidecarOf(plain[0]!).envelope, undefined);
            expectedCount += 1;
            continue;
          }
          for (const document of [...item.documents!, ...(item.source ? [item.source] : [])]) {
            const candidates = (byHash.get(document.sha256) ?? []).filter((file) => file.startsWith(`${item.kind}${path.sep}`)
              && sidecarOf(file).envelope?.role === document.role && sidecarOf(file).messageId === messageOfItem.get(id));
            assert.equal(candidates.length, 1, `${id}: ${document.name} (${document.role}) once under ${item.kind}/`);
            const file = candidates[0]!;
            const envelope = sidecarOf(file).envelope!;
            assert.equal(envelope.kind, item.kind);
            assert.equal(envelope.producer, item.producer);
            for (const [key, value] of Object.entries(item.metadata ?? {})) assert.deepEqual(envelope.metadata[key], value, `${id}: metadata ${key}`);
            const group = groups.get(id) ?? envelope.groupId;
            groups.set(id, group);
            assert.equal(envelope.groupId, group, `${id}: one groupId for the envelope`);
            const notification = announced.get(file.split(path.sep).join('/')) as (Notification & { envelope?: { role: string; kind: string } }) | undefined;
            assert.equal(notification?.envelope?.role, document.role, `${file} announced with its envelope`);
            expectedCount += 1;
          }
        }
        assert.equal(new Set(groups.values()).size, groups.size, 'each envelope its own groupId');
        // The damaged mail: its ordinary attachment written, its archive quarantined with the reason, nothing of it in the directory.
        assert.equal((byHash.get(sha256(Buffer.from('an ordinary attachment\n'))) ?? []).length, 1);
        expectedCount += 1;
        assert.equal(written.length, expectedCount, `exactly the expected files, once each: ${written.join(', ')}`);
        assert.deepEqual([...walk(files), ...walk(quarantine)].filter((file) => file.includes('.mailpump-staging')), [], 'no staging file left by the killed subscribe');
        const setAside = walk(path.join(quarantine, 'envelopes'));
        assert.deepEqual(setAside.sort(), ['SLO-EACT--000000000--20250115-2.tar.gz', 'SLO-EACT--000000000--20250115-2.tar.gz.reason.txt']);
        assert.match(fs.readFileSync(path.join(quarantine, 'envelopes', setAside.find((name) => name.endsWith('.reason.txt'))!), 'utf8'),
          /reason: SLO-EACT--000000000--20250115-2\.tar\.gz: a malformed acte_nature envelope \(s2low-actes\): .*\nmessage: .* UID \d+\npart: 2\n/);
        assert.equal((await listMessages(bench, 'ingest', `${folder}-done`)).length, expected.messages.length + 1, 'every mail moved once');
      } finally {
        box.sr(['stop']);
        await tap.close();
      }
    });
  }
});
