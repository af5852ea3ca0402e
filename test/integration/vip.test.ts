// vip: one poll config on two hosts (two HOMEs here, each its own state), sharing a mailbox
// and a RabbitMQ. Only the host holding the lease (or the address) polls; the other follows
// the cursor through the broker, takes over when the first is killed, and between them
// every message is announced exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, plainMessage } from '../bench/mailbox.js';
import { amqpUrl, queueExists } from '../bench/rabbitmq.js';
import { Sandbox, waitFor } from '../helpers/sandbox.js';

let bench: Bench;
const boxes: Sandbox[] = [];
before(async () => { bench = await getBench(); });
after(() => { for (const box of boxes.splice(0)) box.cleanup(); });

const unique = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

interface StatusRow { readonly state: string }
const stateOf = (box: Sandbox, selector: string) => (JSON.parse(box.sr(['status', '--json', selector]).stdout) as StatusRow[])[0]?.state;

/** A host: its own HOME with credentials for the mailbox and the broker, and the poll config. */
function host(folder: string, exchange: string, vip: string): Sandbox {
  const box = new Sandbox();
  boxes.push(box);
  box.writeConfig('credentials.conf', [`imaps://ingest:ingest-secret@127.0.0.1:${bench.dovecot.ports.imaps}/`, amqpUrl(bench.rabbit)].join('\n'));
  box.writeConfig('poll/mail.conf', [
    'callback poll.mail', `tlsCa ${bench.dovecot.caCert}`, 'sleep 1s', 'metrics_writeInterval 1s', 'batch 3',
    `post_broker ${amqpUrl(bench.rabbit, false)}`, `post_exchange ${exchange}`,
    `pollUrl imaps://ingest@127.0.0.1:${bench.dovecot.ports.imaps}/`, `folder ${folder}`, `vip ${vip}`,
  ].join('\n'));
  return box;
}

/** Every announcement on the exchange, by relPath, as a downstream queue sees them. */
async function tap(exchange: string): Promise<{ relPaths: string[]; close: () => Promise<void> }> {
  const connection = await amqp.connect(amqpUrl(bench.rabbit));
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, '#');
  const relPaths: string[] = [];
  await channel.consume(queue, (message) => {
    if (message) relPaths.push((JSON.parse(message.content.toString()) as { relPath: string }).relPath);
  }, { noAck: true });
  return { relPaths, close: () => connection.close() };
}

describe('vip: a poll on two hosts', () => {
  it('with vip broker, one host polls, the other stands by (waitVip) and takes over from the cursor when the first is killed: every message announced exactly once', async () => {
    const folder = unique();
    const exchange = `xs_${bench.rabbit.user}_${folder}`;
    const announced = await tap(exchange);
    try {
      await appendMessages(bench, 'ingest', folder, Array.from({ length: 30 }, (_, index) => plainMessage(`before ${index}`, 'x')));
      const [first, second] = [host(folder, exchange, 'broker'), host(folder, exchange, 'broker')];
      assert.equal(first.sr(['start']).code, 0);
      await waitFor(() => announced.relPaths.length >= 3, 20000, 'the first host announcing');
      assert.equal(second.sr(['start']).code, 0);
      await waitFor(() => stateOf(second, 'poll/mail') === 'waitVip', 15000, 'the second host standing by');
      process.kill(first.pidOf('poll', 'mail', 1), 'SIGKILL');
      await appendMessages(bench, 'ingest', folder, Array.from({ length: 10 }, (_, index) => plainMessage(`after ${index}`, 'x')));
      await waitFor(() => new Set(announced.relPaths).size === 40, 60000, 'the second host announcing the rest');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const twice = announced.relPaths.filter((relPath, index) => announced.relPaths.indexOf(relPath) !== index);
      const logs = [first, second].map((box) => fs.readFileSync(path.join(box.cacheDir, 'log', 'poll_mail_01.log'), 'utf8')).join('\n----\n');
      assert.deepEqual(twice, [], `nothing announced twice\n${logs}`);
      assert.equal(announced.relPaths.length, 40);
      assert.equal(stateOf(second, 'poll/mail'), 'running');
      assert.equal(second.sr(['stop']).code, 0);
      const cleaned = second.sr(['cleanup', 'poll/mail']);
      assert.equal(cleaned.code, 0, cleaned.stderr);
      for (const suffix of ['vip', 'cursor']) assert.equal(await queueExists(bench.rabbit, `q_${bench.rabbit.user}.poll.mail.${suffix}`), false, `${suffix} queue deleted by sr cleanup`);
    } finally {
      await announced.close();
    }
  });

  it('with vip <address>, a host without the address announces nothing and says waitVip; one that has it polls', async () => {
    const folder = unique();
    const exchange = `xs_${bench.rabbit.user}_${folder}`;
    const announced = await tap(exchange);
    try {
      await appendMessages(bench, 'ingest', folder, [plainMessage('one', 'x'), plainMessage('two', 'x')]);
      // 192.0.2.0/24 is TEST-NET-1: no host has it.
      const elsewhere = host(folder, exchange, '192.0.2.77');
      assert.equal(elsewhere.sr(['start']).code, 0);
      await waitFor(() => stateOf(elsewhere, 'poll/mail') === 'waitVip', 15000, 'standing by').catch((error: unknown) => {
        throw new Error(`${String(error)}\n${elsewhere.sr(['status', '--json']).stdout}\n${fs.readFileSync(path.join(elsewhere.cacheDir, 'log', 'poll_mail_01.log'), 'utf8')}`);
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.deepEqual(announced.relPaths, []);
      const here = host(folder, exchange, '127.0.0.1');
      assert.equal(here.sr(['start']).code, 0);
      await waitFor(() => announced.relPaths.length === 2, 15000, 'the host holding the address announcing');
      assert.equal(stateOf(here, 'poll/mail'), 'running');
      assert.equal(elsewhere.sr(['stop']).code, 0);
      assert.equal(here.sr(['stop']).code, 0);
    } finally {
      await announced.close();
    }
  });
});
