// One contract, two brokers: the embedded local broker and RabbitMQ (real, on loopback)
// must behave the same for everything mailpump relies on.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import amqplib from 'amqplib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Broker, type QueueSpec, type RawDelivery, Unroutable } from '../../lib/broker/broker.js';
import { LocalBroker } from '../../lib/broker/local.js';
import { consumeNotifications, publishNotification } from '../../lib/broker/notifications.js';
import { createConsoleLogger } from '../../lib/log/logger.js';
import { formatPubTime, type Notification } from '../../lib/message.js';
import { type Bench, getBench } from '../bench/bench.js';
import { ctl, restartRabbit } from '../bench/rabbitmq.js';
import { amqpTarget, type BrokerTarget, openTarget } from '../helpers/brokerTarget.js';
import { waitFor } from '../helpers/sandbox.js';

const helpers = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../helpers');

interface Harness {
  readonly name: string;
  target(): BrokerTarget;
  /** Stops the broker with everything in flight and brings it back (RabbitMQ restarted; local: every process killed). */
  restart(): Promise<void>;
  /** Cuts the connection under a live broker client; undefined where there is no connection to cut. */
  cut?: () => void;
}

const unique = () => crypto.randomBytes(4).toString('hex');

function spawnHelper(script: string, args: string[]): { child: ChildProcessWithoutNullStreams; lines: string[] } {
  const child = spawn(process.execPath, [path.join(helpers, script), ...args]);
  const lines: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  return { child, lines };
}

async function collect(broker: Broker, queue: string, count: number, prefetch = 10, timeoutMs = 20000): Promise<RawDelivery[]> {
  const got: RawDelivery[] = [];
  const subscription = await broker.consume(queue, prefetch, async (delivery) => {
    got.push(delivery);
    await delivery.ack();
  });
  await waitFor(() => got.length >= count, timeoutMs, `${count} deliveries from ${queue} (got ${got.length})`);
  await subscription.cancel();
  return got;
}

function notification(relPath: string): Notification {
  return { pubTime: formatPubTime(new Date()), baseUrl: 'imaps://ingest@mail.example.com/', relPath, identity: { method: 'cod', value: 'sha512' } };
}

function contract(harness: Harness): void {
  describe(`broker contract: ${harness.name}`, () => {
    let broker: Broker;
    let exchange: string;
    const queueSpec = (name: string, topics: string[]): QueueSpec => ({
      name, bindings: topics.map((topic) => ({ exchange, topic })), expireSeconds: 0, messageAgeMaxSeconds: 0,
    });

    before(async () => {
      broker = await openTarget(harness.target());
      exchange = `xs_test_${unique()}`;
      await broker.declareExchange(exchange);
    });
    after(async () => broker.close());

    it('routes by topic with * and #', async () => {
      const inbox = `q_mailpump.inbox.${unique()}`;
      const invoices = `q_mailpump.invoices.${unique()}`;
      const all = `q_mailpump.all.${unique()}`;
      await broker.declareQueue(queueSpec(inbox, ['v03.INBOX.#']));
      await broker.declareQueue(queueSpec(invoices, ['v03.*.invoices']));
      await broker.declareQueue(queueSpec(all, ['#']));
      for (const topic of ['v03.INBOX', 'v03.INBOX.a.b', 'v03.Archive.invoices', 'v03.Archive.invoices.2026', 'v03']) {
        await broker.publish(exchange, topic, Buffer.from(topic), 'text/plain');
      }
      const bodies = async (queue: string, count: number) => (await collect(broker, queue, count)).map((d) => d.body.toString()).sort();
      assert.deepEqual(await bodies(inbox, 2), ['v03.INBOX', 'v03.INBOX.a.b']);
      assert.deepEqual(await bodies(invoices, 1), ['v03.Archive.invoices']);
      assert.equal((await bodies(all, 5)).length, 5);
      for (const queue of [inbox, invoices, all]) assert.equal(await broker.queueDepth(queue), 0);
    });

    it('refuses a mandatory message no queue takes (Unroutable), and routes it once a queue is bound', async () => {
      const own = `xs_test_mandatory_${unique()}`;
      await broker.declareExchange(own);
      await assert.rejects(broker.publish(own, 'v03.INBOX', Buffer.from('nobody'), 'text/plain', true), (error: unknown) => error instanceof Unroutable && error.exchange === own);
      await broker.publish(own, 'v03.INBOX', Buffer.from('dropped, as asked'), 'text/plain');
      const queue = `q_mailpump.mandatory.${unique()}`;
      await broker.declareQueue({ name: queue, bindings: [{ exchange: own, topic: 'v03.#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
      await broker.publish(own, 'v03.INBOX', Buffer.from('taken'), 'text/plain', true);
      assert.deepEqual((await collect(broker, queue, 1)).map((d) => d.body.toString()), ['taken']);
    });

    it('of publishes made at once, refuses only the unroutable one: the others are routed', async () => {
      const own = `xs_test_together_${unique()}`;
      await broker.declareExchange(own);
      const queue = `q_mailpump.together.${unique()}`;
      await broker.declareQueue({ name: queue, bindings: [{ exchange: own, topic: 'v03.INBOX.#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
      const topics = ['v03.INBOX.a', 'v03.Other', 'v03.INBOX.b'];
      const results = await Promise.allSettled(topics.map((topic) => broker.publish(own, topic, Buffer.from(topic), 'text/plain', true)));
      assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.ok((results[1] as PromiseRejectedResult).reason instanceof Unroutable);
      assert.deepEqual((await collect(broker, queue, 2)).map((d) => d.body.toString()).sort(), ['v03.INBOX.a', 'v03.INBOX.b']);
      assert.equal(await broker.queueDepth(queue), 0);
    });

    it('shares a queue between competing consumer processes, each message to one', async () => {
      const queue = `q_mailpump.competing.${unique()}`;
      await broker.declareQueue(queueSpec(queue, ['v03.#']));
      // Consumers that work a little on each message: one alone that drains the queue as fast
      // as it fills would leave the other nothing, which says nothing about sharing.
      const consumers = [1, 2].map(() => spawnHelper('consumerProcess.js', [JSON.stringify(harness.target()), queue, '5', 'slow']));
      try {
        await waitFor(() => consumers.every((c) => c.lines.includes('ready')), 20000, 'consumers ready');
        const count = 400;
        for (let n = 1; n <= count; n += 1) await broker.publish(exchange, 'v03.x', Buffer.from(`m${n}`), 'text/plain');
        const received = () => consumers.flatMap((c) => c.lines.filter((line) => line !== 'ready'));
        await waitFor(() => received().length >= count, 30000, `${count} messages across consumers (got ${received().length})`);
        await new Promise((resolve) => setTimeout(resolve, 300)); // would a duplicate still arrive?
        const all = received();
        assert.equal(all.length, count, 'no message delivered twice');
        assert.equal(new Set(all).size, count);
        assert.ok(consumers.every((c) => c.lines.length > 1), 'both consumers took a share');
      } finally {
        for (const { child } of consumers) child.kill('SIGKILL');
      }
    });

    it('redelivers what a consumer held when it is killed with kill -9', async () => {
      const queue = `q_mailpump.redeliver.${unique()}`;
      await broker.declareQueue(queueSpec(queue, ['v03.#']));
      for (let n = 1; n <= 20; n += 1) await broker.publish(exchange, 'v03.x', Buffer.from(`m${n}`), 'text/plain');
      const holder = spawnHelper('consumerProcess.js', [JSON.stringify(harness.target()), queue, '8', 'hold']);
      await waitFor(() => holder.lines.filter((l) => l.startsWith('m')).length === 8, 20000, 'the holder to take 8 messages');
      holder.child.kill('SIGKILL');
      const got = await collect(broker, queue, 20, 25);
      assert.deepEqual(got.map((d) => d.body.toString()).sort(), Array.from({ length: 20 }, (_, i) => `m${i + 1}`).sort());
      const held = new Set(holder.lines.filter((l) => l.startsWith('m')));
      for (const delivery of got) assert.equal(delivery.redelivered, held.has(delivery.body.toString()), delivery.body.toString());
    });

    it('drops notifications older than messageAgeMax', async () => {
      const queue = `q_mailpump.aged.${unique()}`;
      await broker.declareQueue({ ...queueSpec(queue, ['v03.#']), messageAgeMaxSeconds: 1 });
      await broker.publish(exchange, 'v03.x', Buffer.from('old'), 'text/plain');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await broker.publish(exchange, 'v03.x', Buffer.from('fresh'), 'text/plain');
      const got = await collect(broker, queue, 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(got.map((d) => d.body.toString()), ['fresh']);
    });

    it('deletes a queue left without a consumer for longer than expire', async () => {
      const queue = `q_mailpump.expiring.${unique()}`;
      const kept = `q_mailpump.kept.${unique()}`;
      await broker.declareQueue({ ...queueSpec(queue, ['v03.#']), expireSeconds: 1 });
      await broker.declareQueue(queueSpec(kept, ['v03.#']));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await assert.rejects(broker.queueDepth(queue), /no queue|NOT_FOUND/);
      assert.equal(await broker.queueDepth(kept), 0, 'a queue without expire stays');
    });

    it('gives back a message on requeue, for another try', async () => {
      const queue = `q_mailpump.requeue.${unique()}`;
      await broker.declareQueue(queueSpec(queue, ['v03.#']));
      await broker.publish(exchange, 'v03.x', Buffer.from('again'), 'text/plain');
      const tries: boolean[] = [];
      const subscription = await broker.consume(queue, 1, async (delivery) => {
        tries.push(delivery.redelivered);
        if (tries.length === 1) await delivery.requeue();
        else await delivery.ack();
      });
      await waitFor(() => tries.length === 2, 10000, 'the second try');
      await subscription.cancel();
      assert.deepEqual(tries, [false, true]);
    });

    it('keeps confirmed messages across a broker restart', async () => {
      const queue = `q_mailpump.durable.${unique()}`;
      await broker.declareQueue(queueSpec(queue, ['v03.#']));
      const publisher = spawnHelper('publisherProcess.js', [JSON.stringify(harness.target()), exchange, 'v03.durable', '50']);
      await waitFor(() => publisher.lines.includes('confirmed 50'), 20000, 'publishes confirmed');
      publisher.child.kill('SIGKILL');
      await broker.close();
      await harness.restart();
      broker = await openTarget(harness.target());
      const got = await collect(broker, queue, 50, 25, 30000);
      assert.equal(new Set(got.map((d) => d.body.toString())).size, 50);
    });

    it('moves a malformed notification to the dead letters and keeps the queue flowing', async () => {
      const queue = `q_mailpump.malformed.${unique()}`;
      await broker.declareQueue(queueSpec(queue, ['v03.#']));
      await broker.publish(exchange, 'v03.INBOX', Buffer.from('{"pubTime": "nonsense"'), 'application/json');
      await publishNotification(broker, exchange, 'v03', notification('INBOX/7.eml'));
      const good: Notification[] = [];
      const logged: string[] = [];
      const logger = createConsoleLogger('error', []);
      logger.on('data', (info: { message: string }) => logged.push(info.message));
      const subscription = await consumeNotifications(broker, queue, 5, logger, async (n, delivery) => {
        good.push(n);
        await delivery.ack();
      });
      const deadLetters = async () => (broker instanceof LocalBroker ? broker.deadLetters(queue).length : broker.queueDepth(`${queue}.dead`).catch(() => 0));
      let kept = 0;
      await waitFor(() => good.length === 1, 10000, 'the good notification');
      for (const deadline = Date.now() + 10000; kept === 0 && Date.now() < deadline;) kept = await deadLetters();
      await new Promise((resolve) => setTimeout(resolve, 200)); // the ack follows the dead-letter publish
      await subscription.cancel();
      assert.equal(good[0]?.relPath, 'INBOX/7.eml');
      assert.match(logged.join('\n'), new RegExp(`${queue.replaceAll('.', '\\.')}: malformed notification \\(not valid JSON.*\\{"pubTime": "nonsense"`));
      assert.equal(await broker.queueDepth(queue), 0, 'the malformed one was acknowledged away');
      assert.equal(kept, 1);
      if (broker instanceof LocalBroker) {
        assert.deepEqual(broker.deadLetters(queue).map((d) => d.body.toString()), ['{"pubTime": "nonsense"']);
      }
    });

    it('keeps at most deadLetterMax dead letters, the newest, and a queue declared before without bounds still takes them', async () => {
      const queue = `q_mailpump.bounded.${unique()}`;
      await broker.declareQueue(queueSpec(queue, ['v03.#']));
      const deadLetters = async () => (broker instanceof LocalBroker ? broker.deadLetters(queue).length : broker.queueDepth(`${queue}.dead`));
      for (let n = 0; n < 5; n += 1) await broker.deadLetter(queue, Buffer.from(`body ${n}`), 'why', { maxCount: 3, maxAgeSeconds: 3600 });
      let kept = 0;
      for (const deadline = Date.now() + 10000; kept !== 3 && Date.now() < deadline;) kept = await deadLetters();
      assert.equal(kept, 3, 'the newest three kept');
      if (broker instanceof LocalBroker) assert.deepEqual(broker.deadLetters(queue).map((d) => d.body.toString()), ['body 2', 'body 3', 'body 4']);
      // Other bounds now (an option changed): RabbitMQ will not change a queue's, and it is used as it is.
      await broker.deadLetter(queue, Buffer.from('body 5'), 'why', { maxCount: 10, maxAgeSeconds: 0 });
      assert.equal(await deadLetters(), broker instanceof LocalBroker ? 4 : 3);
      await broker.deleteQueue(queue);
    });

    if (harness.cut) {
      const cut = harness.cut;
      it('reconnects after the connection is cut and resumes consuming without a restart', async () => {
        const queue = `q_mailpump.reconnect.${unique()}`;
        const states: string[] = [];
        const client = await openTarget(harness.target(), (state) => states.push(state));
        try {
          await client.declareQueue(queueSpec(queue, ['v03.#']));
          const got: string[] = [];
          await client.consume(queue, 5, async (delivery) => {
            got.push(delivery.body.toString());
            await delivery.ack();
          });
          await broker.publish(exchange, 'v03.x', Buffer.from('before'), 'text/plain');
          await waitFor(() => got.includes('before'), 10000, 'the message before the cut');
          cut();
          await waitFor(() => states.includes('disconnected') && client.state === 'connected', 30000, 'reconnection');
          await broker.publish(exchange, 'v03.x', Buffer.from('after'), 'text/plain');
          await waitFor(() => got.includes('after'), 10000, 'the message after the cut');
          await client.publish(exchange, 'v03.x', Buffer.from('published after'), 'text/plain');
          await waitFor(() => got.includes('published after'), 10000, 'a publish after the cut');
          assert.deepEqual(states, ['connected', 'disconnected', 'connected'], 'each state change reported once');
        } finally {
          await client.close();
        }
      });
    }
  });
}

let bench: Bench;
const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-local-broker-'));
before(async () => { bench = await getBench(); });
after(() => fs.rmSync(localDir, { recursive: true, force: true }));

contract({
  name: 'local',
  target: () => ({ kind: 'local', file: path.join(localDir, 'local.sqlite') }),
  // The local broker is the database: with every process using it killed (the publisher
  // with kill -9, the test's own client closed), a fresh open must find everything.
  restart: async () => undefined,
});

contract({
  name: 'RabbitMQ',
  target: () => amqpTarget(bench),
  restart: async () => restartRabbit(bench.rabbit),
  // Without -p, close_all_connections only closes connections of the vhost "/".
  cut: () => { ctl(bench.rabbit, 'close_all_connections', '-p', bench.rabbit.vhost, 'cut by test'); },
});

describe('the RabbitMQ link heals', () => {
  it('publishes again after the exchange was deleted under it (sr3 cleanup does that): a new channel, the exchange declared again, and sr declare\'s binding restores the flow', async () => {
    const target = amqpTarget(bench);
    if (target.kind !== 'amqp') throw new Error('an AMQP target');
    const broker = await openTarget(target);
    const exchange = `xs_test_heal_${unique()}`;
    const queue = `q_mailpump.heal.${unique()}`;
    const spec: QueueSpec = { name: queue, bindings: [{ exchange, topic: 'v03.#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 };
    const admin = await amqplib.connect({ hostname: '127.0.0.1', port: target.port, username: target.user, password: target.password, vhost: target.vhost });
    try {
      await broker.declareExchange(exchange);
      await broker.declareQueue(spec);
      await broker.publish(exchange, 'v03.INBOX', Buffer.from('before'), 'text/plain', true);
      const channel = await admin.createChannel();
      await channel.deleteExchange(exchange); // its bindings go with it
      await channel.close();
      // The first publish meets the missing exchange (404 closes the channel): declared again, and sent.
      await assert.rejects(broker.publish(exchange, 'v03.INBOX', Buffer.from('unbound'), 'text/plain', true), Unroutable, 'declared again, but no queue bound any more');
      await broker.declareQueue(spec); // what sr declare does
      await broker.publish(exchange, 'v03.INBOX', Buffer.from('after'), 'text/plain', true);
      assert.deepEqual((await collect(broker, queue, 2)).map((d) => d.body.toString()), ['before', 'after']);
    } finally {
      await admin.close();
      await broker.deleteQueue(queue).catch(() => undefined);
      await broker.close();
    }
  });
});

