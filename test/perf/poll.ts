// npm run bench:poll [-- count]: the IMAP poll against a private Dovecot (IMAPS, loopback),
// announcing on the local broker:
//   - a pass over an unchanged folder: time and IMAP round trips, for `count` messages and for 100;
//   - the first pass over `count` messages: announce rate (batch = count, and the default batch);
//   - IDLE: time from a message's APPEND to its notification on the broker, over 200 messages.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalBroker } from '../../lib/broker/local.js';
import { publishNotification } from '../../lib/broker/notifications.js';
import { localBrokerFile } from '../../lib/broker/open.js';
import { ImapPoll } from '../../lib/components/poll/imapPoll.js';
import { PollWorker } from '../../lib/components/poll/pollWorker.js';
import { CredentialsStore } from '../../lib/config/credentials.js';
import { loadConfig } from '../../lib/config/load.js';
import type { SrPaths } from '../../lib/config/paths.js';
import { InstanceContext } from '../../lib/instance/runtime.js';
import { createConsoleLogger } from '../../lib/log/logger.js';
import { mailAccount } from '../../lib/mail/account.js';
import { tlsSettings } from '../../lib/mail/tls.js';
import { PollState } from '../../lib/state/pollState.js';
import type { Bench } from '../bench/bench.js';
import { makeCertificates } from '../bench/certificates.js';
import { type DovecotInfo, startDovecot, stopDovecot } from '../bench/dovecot.js';
import { imapSession, plainMessage } from '../bench/mailbox.js';

const COUNT = Number(process.argv[2] ?? 10000);
const IDLE_MESSAGES = 200;
const USER = { name: 'bench', password: 'bench-secret' };

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-bench-poll-'));
fs.chmodSync(root, 0o755);
const paths: SrPaths = { configDir: path.join(root, 'config'), cacheDir: path.join(root, 'cache'), logDir: path.join(root, 'cache', 'log') };
const logger = createConsoleLogger('error', []);

/** Counts the IMAP commands a client sends: each is one round trip. */
class CommandCounter {
  commands = 0;
  readonly logger = {
    debug: (entry: { src?: string; msg?: string }) => { if (entry.src === 'c' && !entry.msg?.startsWith('(*')) this.commands += 1; },
    info: () => undefined, warn: () => undefined, error: () => undefined,
  };
}

async function fill(dovecot: DovecotInfo, folder: string, count: number): Promise<void> {
  const client = await imapSession({ dovecot } as Bench, USER.name);
  await client.mailboxCreate(folder);
  const body = 'x'.repeat(1500);
  for (let n = 1; n <= count; n += 1) await client.append(folder, plainMessage(`message ${n}`, body));
  await client.logout();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function writeConfig(name: string, lines: string[]): void {
  fs.mkdirSync(path.join(paths.configDir, 'poll'), { recursive: true });
  fs.writeFileSync(path.join(paths.configDir, 'poll', `${name}.conf`), `${lines.join('\n')}\n`);
}

async function passes(dovecot: DovecotInfo, broker: LocalBroker, folder: string, batch: number): Promise<{ first: number; announced: number; unchanged: number[]; roundTrips: number }> {
  const name = `${folder}-${batch}`;
  writeConfig(name, [`pollUrl imaps://${USER.name}@127.0.0.1:${dovecot.ports.imaps}/`, `folder ${folder}`, `tlsCa ${dovecot.caCert}`, `batch ${batch}`]);
  const config = loadConfig(paths, { component: 'poll', name });
  const state = PollState.open(path.join(root, `${name}.sqlite`));
  const counter = new CommandCounter();
  let announced = 0;
  const poll = new ImapPoll(mailAccount(config.list('pollUrl')[0]!), { password: USER.password }, tlsSettings(config), {
    config, state, logger, search: undefined, events: () => undefined,
    announce: async (notification) => { await publishNotification(broker, 'xpublic', 'v03', notification); announced += 1; },
    stopping: () => false,
    count: () => undefined,
    handled: () => undefined,
  }, { logger: counter.logger as never });
  const started = performance.now();
  for (let result = await poll.pass(); result.remaining > 0; result = await poll.pass()) { /* next batch */ }
  const first = (performance.now() - started) / 1000;
  const unchanged: number[] = [];
  let roundTrips = 0;
  for (let n = 0; n < 20; n += 1) {
    const before = counter.commands;
    const t = performance.now();
    await poll.pass();
    unchanged.push(performance.now() - t);
    roundTrips = counter.commands - before;
  }
  await poll.close();
  state.close();
  return { first, announced, unchanged, roundTrips };
}

async function idleLatency(dovecot: DovecotInfo, broker: LocalBroker): Promise<number[]> {
  const folder = 'idle';
  await fill(dovecot, folder, 0);
  writeConfig('idle', [`pollUrl imaps://${USER.name}@127.0.0.1:${dovecot.ports.imaps}/`, `folder ${folder}`, `tlsCa ${dovecot.caCert}`, 'idle on', 'sleep 1h']);
  const config = loadConfig(paths, { component: 'poll', name: 'idle' });
  const credentialsFile = path.join(root, 'credentials.conf');
  fs.writeFileSync(credentialsFile, `imaps://${USER.name}:${USER.password}@127.0.0.1:${dovecot.ports.imaps}/\n`, { mode: 0o600 });
  const worker = new PollWorker(paths, CredentialsStore.load(credentialsFile));
  const running = worker.run(new InstanceContext(config, 1, logger));
  const queue = 'q_bench.idle';
  await broker.declareQueue({ name: queue, bindings: [{ exchange: 'xpublic', topic: 'v03.idle' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
  const arrivals = new Map<string, number>();
  await broker.consume(queue, 100, async (delivery) => {
    arrivals.set(String((JSON.parse(delivery.body.toString()) as { mail: { subject: string } }).mail.subject), performance.now());
    await delivery.ack();
  });
  await new Promise((resolve) => setTimeout(resolve, 2000)); // first pass done, IDLE up
  const client = await imapSession({ dovecot } as Bench, USER.name);
  const latencies: number[] = [];
  for (let n = 1; n <= IDLE_MESSAGES; n += 1) {
    const subject = `idle ${n}`;
    await client.append(folder, plainMessage(subject, 'x'));
    const appended = performance.now();
    while (!arrivals.has(subject)) {
      if (performance.now() - appended > 30000) throw new Error(`"${subject}" was not announced within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    latencies.push(arrivals.get(subject)! - appended);
  }
  await client.logout();
  worker.stop();
  await running;
  return latencies;
}

let dovecot: DovecotInfo | undefined;
try {
  dovecot = await startDovecot(path.join(root, 'dovecot'), makeCertificates(root), [USER]);
  // The same local broker file the poll worker of the IDLE measurement publishes to.
  const broker = LocalBroker.open(localBrokerFile(paths));
  await broker.declareExchange('xpublic');
  const sink = 'q_bench.all';
  await broker.declareQueue({ name: sink, bindings: [{ exchange: 'xpublic', topic: 'v03.large' }, { exchange: 'xpublic', topic: 'v03.small' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
  process.stdout.write(`filling a folder with ${COUNT} messages and one with 100...\n`);
  const filled = performance.now();
  await fill(dovecot, 'large', COUNT);
  await fill(dovecot, 'small', 100);
  process.stdout.write(`(filled in ${((performance.now() - filled) / 1000).toFixed(1)} s)\n\n`);

  const whole = await passes(dovecot, broker, 'large', COUNT);
  const batched = await passes(dovecot, broker, 'large', 100);
  const small = await passes(dovecot, broker, 'small', 100);
  const latencies = await idleLatency(dovecot, broker);
  await broker.close();

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const rows = [
    `| pass over an unchanged folder of ${COUNT} messages (median of 20) | ${ms(median(whole.unchanged))}, ${whole.roundTrips} round trip(s) |`,
    `| pass over an unchanged folder of 100 messages (median of 20) | ${ms(median(small.unchanged))}, ${small.roundTrips} round trip(s) |`,
    `| first pass over ${COUNT} messages, batch ${COUNT} | ${whole.first.toFixed(2)} s, ${Math.round(whole.announced / whole.first)} messages/s |`,
    `| first pass over ${COUNT} messages, batch 100 (the default; ${Math.ceil(COUNT / 100)} passes) | ${batched.first.toFixed(2)} s, ${Math.round(batched.announced / batched.first)} messages/s |`,
    `| IDLE: APPEND to notification on the broker, ${IDLE_MESSAGES} messages | p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))} |`,
  ];
  process.stdout.write(`${os.cpus().length} cores, Node ${process.version}, Dovecot on loopback over IMAPS, local broker\n\n| what | figure |\n| --- | --- |\n${rows.join('\n')}\n`);
} finally {
  if (dovecot) await stopDovecot(dovecot);
  fs.rmSync(root, { recursive: true, force: true });
}
