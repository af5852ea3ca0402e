// Beside the real sr3 on one RabbitMQ: an sr3 subscribe copies every file a mailpump
// subscribe announces, byte-exact, with mailpump's defaults (post_baseDir and no
// post_baseUrl); mailpump reads a credentials.conf that holds sr3's own lines; each tool's
// cleanup leaves the other's queue alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, listMessages } from '../bench/mailbox.js';
import { amqpUrl, queueExists } from '../bench/rabbitmq.js';
import { sha256Of, walk } from '../helpers/files.js';
import { corpusMessage } from '../helpers/mailCorpus.js';
import { Sandbox, waitFor } from '../helpers/sandbox.js';
import { Sr3Home, sr3Missing } from '../helpers/sr3.js';

let bench: Bench;
let box: Sandbox;
let sr3: Sr3Home;
before(async () => {
  const missing = sr3Missing();
  if (missing) throw new Error(missing);
  bench = await getBench();
});
beforeEach(() => {
  box = new Sandbox();
  sr3 = new Sr3Home();
});
afterEach(async () => {
  await sr3.cleanup();
  box.cleanup();
});
async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The files under `dir` as sorted `name sha256` lines, dot files (sidecars, staging) left out. */
function contents(dir: string): string[] {
  return walk(dir).filter((file) => !file.split(path.sep).some((level) => level.startsWith('.')))
    .map((file) => `${file} ${sha256Of(path.join(dir, file))}`).sort();
}

describe('beside sr3 on one RabbitMQ', () => {
  it('an sr3 subscribe copies every file a mailpump subscribe announced, byte-exact, and each cleanup leaves the other\'s queue', { timeout: 180_000 }, async () => {
    const tag = `sr3${Date.now().toString(36)}`;
    const messages = Array.from({ length: 20 }, (_, index) => corpusMessage(index, tag));
    await appendMessages(bench, 'ingest', tag, messages.map((message) => message.raw));
    const { port, vhost, user, password } = bench.rabbit;
    const broker = amqpUrl(bench.rabbit, false);
    const exchange = `xs_${user}_${tag}`;
    const files = path.join(box.home, 'files');
    const copies = path.join(sr3.home, 'copies');

    // The credentials.conf both tools read: sr3's lines for its own schemes load in mailpump.
    const credentials = [
      `imaps://ingest:ingest-secret@127.0.0.1:${bench.dovecot.ports.imaps}/`,
      amqpUrl(bench.rabbit),
      'https://hpfx.collab.science.gc.ca/ bearer_token=not-for-mailpump',
      'sftp://feeder@sftp.example.org/ ssh_keyfile=/nonexistent/id_ed25519',
    ];
    box.writeConfig('credentials.conf', credentials.join('\n'));
    const common = [`broker ${broker}`, `tlsCa ${bench.dovecot.caCert}`, 'metrics_writeInterval 1s'];
    box.writeConfig('poll/mail.conf', ['callback poll.mail', ...common, 'sleep 1s', `pollUrl imaps://ingest@127.0.0.1:${bench.dovecot.ports.imaps}/`, `folder ${tag}`].join('\n'));
    box.writeConfig('subscribe/mail.conf', ['callback download.mail_ingest', ...common, `directory ${files}`, `mailAction move ${tag}-done`,
      `post_broker ${broker}`, `post_exchange ${exchange}`, `post_baseDir ${files}`].join('\n'));
    const declared = box.sr(['declare']);
    assert.equal(declared.code, 0, declared.stderr);

    const sr3Queue = `q_${user}.subscribe.copy.${tag}`;
    sr3.writeConfig('credentials.conf', [`amqp://${user}:${password}@127.0.0.1:${port}/${encodeURIComponent(vhost)}`]);
    sr3.writeConfig('subscribe/copy.conf', [
      `broker amqp://${user}@127.0.0.1:${port}/${encodeURIComponent(vhost)}`, `exchange ${exchange}`, `queueName ${sr3Queue}`, 'subtopic #',
      `directory ${copies}`, 'accept .*',
    ]);
    const sr3Log = path.join(sr3.home, 'foreground.log');
    sr3.foreground('subscribe/copy', sr3Log);
    const sr3Said = () => (fs.existsSync(sr3Log) ? fs.readFileSync(sr3Log, 'utf8').split('\n').slice(-15).join('\n') : '');
    await eventually(() => queueExists(bench.rabbit, sr3Queue), 60_000, `sr3 to declare its queue; sr3 said:\n${sr3Said()}`);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // its binding follows the queue

    assert.equal(box.sr(['start']).code, 0);
    await eventually(async () => (await listMessages(bench, 'ingest', tag)).length === 0, 120_000, 'every message moved');
    const written = contents(files);
    assert.equal(written.length, messages.reduce((sum, message) => sum + message.files.length, 0), 'every attachment written');
    try {
      await waitFor(() => contents(copies).length >= written.length, 60_000, 'sr3 to copy every file');
    } catch (error) {
      throw new Error(`${(error as Error).message}; sr3 said:\n${sr3Said()}`);
    }
    assert.deepEqual(contents(copies), written, 'sr3 copied every file byte-exact, under the same names');
    assert.doesNotMatch(fs.readFileSync(path.join(box.cacheDir, 'log', 'subscribe_mail_01.log'), 'utf8'), /not-for-mailpump|rabbit-secret/);

    // Each cleanup deletes its own queue only.
    await sr3.stop();
    assert.equal(box.sr(['stop']).code, 0);
    const mailpumpQueue = () => fs.readFileSync(box.stateFile('subscribe', 'mail', 'queue_name'), 'utf8').trim();
    const first = mailpumpQueue();
    const cleaned = box.sr(['cleanup', 'subscribe/mail']);
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.equal(await queueExists(bench.rabbit, first), false, 'mailpump\'s queue is gone');
    assert.equal(await queueExists(bench.rabbit, sr3Queue), true, 'sr3\'s queue is left to sr3');
    assert.equal(box.sr(['declare', 'subscribe/mail']).code, 0);
    const sr3Cleaned = sr3.sr3(['cleanup', 'subscribe/copy']);
    assert.equal(sr3Cleaned.code, 0, sr3Cleaned.stdout + sr3Cleaned.stderr);
    assert.equal(await queueExists(bench.rabbit, sr3Queue), false, `sr3 cleanup deleted its own queue: ${sr3Cleaned.stdout}${sr3Cleaned.stderr}`);
    assert.equal(await queueExists(bench.rabbit, mailpumpQueue()), true, 'and left mailpump\'s');
    assert.equal(box.sr(['cleanup', 'subscribe/mail']).code, 0);
  });
});
