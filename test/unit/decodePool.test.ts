import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DecodeOverBudget, DecodePool } from '../../lib/components/subscribe/decodePool.js';
import { type FileRule, fileRule } from '../../lib/config/fileRules.js';
import type { MailMessageRef } from '../../lib/components/subscribe/mailNotification.js';
import { mailOrigin } from '../../lib/components/subscribe/origin.js';
import { FLAT_LAYOUT } from '../../lib/config/pathLayout.js';
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

function job(directory: string, index: number, raw?: Buffer, rules: FileRule[] = []): WriteJob {
  const message = { ...corpusMessage(2, `pool${index}`), ...(raw ? { raw } : {}) };
  const account = mailAccount('imaps://ingest@mail.example.com/');
  const ref: MailMessageRef = {
    account, at: { protocol: 'imap', folder: 'INBOX', uidValidity: 7, uid: index }, expected: { messageId: message.messageId },
    mail: {}, where: `INBOX UID ${index}`, serverKey: `k|${index}`, claimKey: `k|${index}`,
  };
  return {
    settings: { directory, layout: FLAT_LAYOUT, writer: 'subscribe_pool_01', rawDirectory: undefined, sidecar: false, decodeDepth: 3, policy: { attachmentsOnly: true, skipInline: false, rules, acceptUnmatched: true }, syncMethod: 'syncfs' },
    notification: { pubTime: '20261122T000000.000', baseUrl: account.label, relPath: `INBOX/${index}.eml` },
    origin: mailOrigin({ pubTime: '20261122T000000.000', baseUrl: account.label, relPath: `INBOX/${index}.eml` }, ref), raw: { kind: 'memory', data: message.raw }, size: message.raw.byteLength, now: Date.now(),
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

  it('replace a thread a message blocks, decode the others it held again, and quarantine only the one at fault', async () => {
    const watched = new DecodePool(path.join(scratch, 'subscribe.sqlite'), { threads: 1, stallMs: 1000, budgetMs: () => 60_000 });
    try {
      // A rule of the config's that backtracks for ever on one crafted name: it blocks the thread's event loop.
      const rules = [fileRule('reject', '(a+)+b')];
      const bomb = Buffer.from(`Subject: bomb\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="${'a'.repeat(40)}!"\r\n\r\nx\r\n--b--\r\n`);
      const directory = path.join(scratch, 'watched');
      const results = await Promise.allSettled([job(directory, 11, undefined, rules), job(directory, 12, bomb, rules), job(directory, 13, undefined, rules)].map((each) => watched.run(each)));
      assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
      const blocked = results[1] as PromiseRejectedResult;
      assert.ok(blocked.reason instanceof DecodeOverBudget, String(blocked.reason));
      assert.match((blocked.reason as Error).message, /gave no sign of life/);
      // The pool goes on with a new thread.
      assert.equal((await watched.run(job(directory, 14, undefined, rules))).written.length, 3);
    } finally {
      await watched.close();
    }
  });

  it('hand back errors of the classes that decide what happens to the message', async () => {
    await assert.rejects(pool.run(job(path.join(scratch, '${NOPE}'), 5)), (error: unknown) => error instanceof TemplateError && /\$\{NOPE\}/.test(error.message));
  });
});
