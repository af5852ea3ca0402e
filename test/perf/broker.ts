// npm run bench:broker [-- count]: for the local broker and RabbitMQ (a private node on
// loopback), the rate of publishes with confirmation, and the end-to-end rate publish ->
// consume -> ack with 1 and 4 consumer processes, for small v03 notifications.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Broker } from '../../lib/broker/broker.js';
import { encodeNotification, formatPubTime, topicOf, V03_CONTENT_TYPE } from '../../lib/message.js';
import { startRabbit, stopRabbit } from '../bench/rabbitmq.js';
import { type BrokerTarget, openTarget } from '../helpers/brokerTarget.js';

const COUNT = Number(process.argv[2] ?? 50000);
const PREFETCH = 25; // the prefetch option's default
/** Publishes awaiting confirmation at once, as a poll announcing a batch does. */
const WINDOW = 200;
const here = path.dirname(fileURLToPath(import.meta.url));

function body(n: number): Buffer {
  return encodeNotification({
    pubTime: formatPubTime(new Date()), baseUrl: 'imaps://ingest@mail.example.com:993/', relPath: `INBOX/${n}.eml`,
    size: 61440, contentType: 'message/rfc822', identity: { method: 'cod', value: 'sha512' },
    mail: { uidValidity: 1795345323, uid: n, messageId: `<${n}@example.org>`, subject: `Invoice ${n}`, folder: 'INBOX' },
  });
}

async function publishAll(broker: Broker, exchange: string): Promise<number> {
  const started = performance.now();
  const topic = topicOf('v03', 'INBOX/x.eml');
  const pending = new Set<Promise<void>>();
  for (let n = 1; n <= COUNT; n += 1) {
    const publish = broker.publish(exchange, topic, body(n), V03_CONTENT_TYPE).finally(() => pending.delete(publish));
    pending.add(publish);
    if (pending.size >= WINDOW) await Promise.race(pending);
  }
  await Promise.all(pending);
  return (performance.now() - started) / 1000;
}

async function endToEnd(target: BrokerTarget, broker: Broker, exchange: string, consumers: number): Promise<number> {
  const queue = `q_bench.e2e${consumers}.${crypto.randomBytes(3).toString('hex')}`;
  await broker.declareQueue({ name: queue, bindings: [{ exchange, topic: 'v03.#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
  const counts = new Array<number>(consumers).fill(0);
  const children = counts.map((_, index) => {
    const child = spawn(process.execPath, [path.join(here, 'benchConsumer.js'), JSON.stringify(target), queue, String(PREFETCH)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.startsWith('acked ')) counts[index] = Number(line.slice(6));
    });
    return child;
  });
  const ready = children.map((child) => new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => { if (c.toString().includes('ready')) resolve(); })));
  await Promise.all(ready);
  const started = performance.now();
  await publishAll(broker, exchange);
  // Consumers report their totals every 10 ms: done when every message has been acknowledged.
  while (counts.reduce((a, b) => a + b, 0) < COUNT) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = (performance.now() - started) / 1000;
  for (const child of children) child.kill('SIGTERM');
  await broker.deleteQueue(queue);
  return seconds;
}

async function measure(name: string, target: BrokerTarget): Promise<string[]> {
  const broker = await openTarget(target);
  const exchange = `xs_bench_${crypto.randomBytes(3).toString('hex')}`;
  await broker.declareExchange(exchange);
  const sink = `q_bench.publish.${crypto.randomBytes(3).toString('hex')}`;
  await broker.declareQueue({ name: sink, bindings: [{ exchange, topic: 'v03.#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
  const publishSeconds = await publishAll(broker, exchange);
  await broker.deleteQueue(sink);
  const rows = [`| ${name} | publish with confirmation | ${COUNT} | ${publishSeconds.toFixed(2)} s | ${Math.round(COUNT / publishSeconds)} msg/s |`];
  for (const consumers of [1, 4]) {
    const seconds = await endToEnd(target, broker, exchange, consumers);
    rows.push(`| ${name} | publish -> consume -> ack, ${consumers} consumer process${consumers > 1 ? 'es' : ''} | ${COUNT} | ${seconds.toFixed(2)} s | ${Math.round(COUNT / seconds)} msg/s |`);
  }
  await broker.close();
  return rows;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-bench-broker-'));
const rabbit = await startRabbit(path.join(dir, 'rabbitmq'));
try {
  const rows = [
    ...await measure('local', { kind: 'local', file: path.join(dir, 'local.sqlite') }),
    ...await measure('RabbitMQ', { kind: 'amqp', port: rabbit.port, user: rabbit.user, password: rabbit.password, vhost: rabbit.vhost }),
  ];
  process.stdout.write(`${os.cpus().length} cores, Node ${process.version}, ${COUNT} notifications of ${body(1).length} bytes, prefetch ${PREFETCH}, ${WINDOW} publishes in flight\n\n`);
  process.stdout.write(['| broker | what | messages | time | rate |', '| --- | --- | --- | --- | --- |', ...rows].join('\n') + '\n');
} finally {
  await stopRabbit(rabbit);
  fs.rmSync(dir, { recursive: true, force: true });
}
