import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DecodePool } from '../../lib/components/subscribe/decodePool.js';
import type { MailMessageRef } from '../../lib/components/subscribe/mailNotification.js';
import type { WriteJob } from '../../lib/components/subscribe/writeFiles.js';
import { TemplateError } from '../../lib/decode/templates.js';
import { mailAccount } from '../../lib/mail/account.js';
import { corpusMessage } from '../helpers/mailCorpus.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-pool-'));
const pool = new DecodePool(path.join(scratch, 'subscribe.sqlite'), { threads: 2, stallMs: 60_000, budgetMs: () => 60_000 });
after(async () => {
  await pool.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function job(directory: string, index: number): WriteJob {
  const message = corpusMessage(2, `pool${index}`);
  const account = mailAccount('imaps://ingest@mail.example.com/');
  const ref: MailMessageRef = {
    account, at: { protocol: 'imap', folder: 'INBOX', uidValidity: 7, uid: index }, expected: { messageId: message.messageId },
    mail: {}, where: `INBOX UID ${index}`, serverKey: `k|${index}`,
  };
  return {
    settings: { directory, writer: 'subscribe_pool_01', rawDirectory: undefined, sidecar: false, decodeDepth: 3, policy: { attachmentsOnly: true, skipInline: false, rules: [], acceptUnmatched: true } },
    notification: { pubTime: '20261122T000000.000', baseUrl: account.label, relPath: `INBOX/${index}.eml` },
    ref, raw: { kind: 'memory', data: message.raw }, now: Date.now(),
  };
}

describe('decode threads', () => {
  it('decode and write messages in other threads, several at once', async () => {
    const directory = path.join(scratch, 'out');
    const results = await Promise.all([1, 2, 3, 4].map((index) => pool.run(job(directory, index))));
    assert.deepEqual(results.map((result) => result.written.length), [3, 3, 3, 3]);
    assert.equal(fs.readdirSync(directory).filter((name) => !name.startsWith('.')).length, 12, 'each file under its name, collisions suffixed');
    assert.ok(results.every((result) => result.written.every(({ file }) => fs.statSync(file.path).size === file.size)));
  });

  it('hand back errors of the classes that decide what happens to the message', async () => {
    await assert.rejects(pool.run(job(path.join(scratch, '${NOPE}'), 5)), (error: unknown) => error instanceof TemplateError && /\$\{NOPE\}/.test(error.message));
  });
});
