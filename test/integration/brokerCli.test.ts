// The broker as sr users meet it: declare, cleanup, the kept queue name, and sr status
// showing each running config's broker state and queue depth.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import amqp from 'amqplib';
import { LocalBroker } from '../../lib/broker/local.js';
import { encodeNotification, formatPubTime } from '../../lib/message.js';
import { type Bench, getBench } from '../bench/bench.js';
import { amqpUrl, ctl } from '../bench/rabbitmq.js';
import { freePort } from '../bench/processes.js';
import { Sandbox, waitFor } from '../helpers/sandbox.js';

interface StatusRow {
  config: string;
  state: string;
  broker: { label: string; state: string; queue?: string; depth?: number } | null;
  counters?: Record<string, number>;
}

let bench: Bench;
let box: Sandbox;
before(async () => { bench = await getBench(); });
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

const status = (selector: string) => (JSON.parse(box.sr(['status', '--json', selector]).stdout) as StatusRow[])[0]!;
const brokerLine = () => `broker ${amqpUrl(bench.rabbit, false)}`;
const credentials = () => box.writeConfig('credentials.conf', `${amqpUrl(bench.rabbit)}\n`);

/** As the poll or feeder that posts to it would: a subscribe declares no exchange (sr3). */
async function declareExchange(name: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl(bench.rabbit));
  try {
    await (await connection.createChannel()).assertExchange(name, 'topic', { durable: true });
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function rabbitQueue(name: string): Promise<{ messageCount: number } | undefined> {
  const connection = await amqp.connect(amqpUrl(bench.rabbit));
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await channel.checkQueue(name).catch(() => undefined);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

describe('sr declare and cleanup on RabbitMQ', () => {
  it('declare creates the queue and one binding per subtopic; cleanup deletes it and the state', async () => {
    credentials();
    const exchange = `xs_mailpump_${Date.now().toString(36)}`;
    box.writeConfig('subscribe/invoices.conf', [brokerLine(), 'directory ${HOME}/files', `exchange ${exchange}`, 'subtopic INBOX.#', 'subtopic *.invoices'].join('\n'));
    const early = box.sr(['declare', 'subscribe/invoices']);
    assert.equal(early.code, 1, 'nobody has declared the exchange yet, and a subscribe declares none');
    assert.match(early.stderr, new RegExp(`^declare: subscribe/invoices: amqp://mailpump@[^ ]+: cannot bind the queue q_mailpump\\.subscribe\\.invoices\\.\\S+ to ${exchange} v03\\.INBOX\\.#: no exchange '${exchange}' in vhost '[^']+': an exchange is declared by whoever posts to it`, 'm'));
    assert.doesNotMatch(early.stderr, /\n\s+at /, 'no stack');
    await declareExchange(exchange);
    const declared = box.sr(['declare', 'subscribe/invoices']);
    assert.equal(declared.code, 0, declared.stderr);
    const queue = fs.readFileSync(box.stateFile('subscribe', 'invoices', 'queue_name'), 'utf8');
    assert.match(queue, /^q_mailpump\.subscribe\.invoices\.[^.]+_[^.]+_\d{8}$/, 'sr3 queue naming');
    assert.match(declared.stdout, new RegExp(`queue ${queue.replaceAll('.', '\\.')} on amqp://mailpump@.*bound to ${exchange} v03\\.INBOX\\.#, ${exchange} v03\\.\\*\\.invoices`));
    assert.ok(await rabbitQueue(queue), 'the queue exists on RabbitMQ');
    assert.equal(box.sr(['declare', 'subscribe/invoices']).code, 0, 'declaring again is harmless');
    assert.equal(fs.readFileSync(box.stateFile('subscribe', 'invoices', 'queue_name'), 'utf8'), queue, 'the queue name is kept');

    const cleaned = box.sr(['cleanup', 'subscribe/invoices']);
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.match(cleaned.stdout, /queue .* deleted/);
    assert.match(cleaned.stdout, /cleanup: removing state file: .*queue_name/);
    assert.equal(await rabbitQueue(queue), undefined, 'the queue is gone');
    assert.doesNotMatch(declared.stdout + cleaned.stdout, new RegExp(bench.rabbit.password));
  });

  it('works with sr3\'s subscriber permissions, and says which permission, on what, for whom, when one is lacking', { timeout: 60_000 }, async () => {
    const { port, vhost } = bench.rabbit;
    const user = `sub${Date.now().toString(36)}`;
    // sr3's subscriber role (sr3 --users declare): its own queues, and reading the public exchanges.
    ctl(bench.rabbit, 'add_user', user, 'sub-secret');
    ctl(bench.rabbit, 'set_permissions', '-p', vhost, user, `^q_${user}.*`, `^q_${user}.*|^xs_${user}.*`, `^q_${user}.*|^x[lrs]_${user}.*|^x.*public$`);
    await declareExchange('xpublic');
    const url = `amqp://${user}@127.0.0.1:${port}/${encodeURIComponent(vhost)}`;
    box.writeConfig('credentials.conf', `amqp://${user}:sub-secret@127.0.0.1:${port}/${encodeURIComponent(vhost)}\n`);
    const reader = [`broker ${url}`, 'exchange xpublic', 'directory ${HOME}/files', 'metrics_writeInterval 1s'];
    box.writeConfig('subscribe/reader.conf', reader.join('\n'));
    const declared = box.sr(['declare', 'subscribe/reader']);
    assert.equal(declared.code, 0, declared.stderr);
    assert.match(declared.stdout, new RegExp(`queue q_${user}\\.subscribe\\.reader\\.\\S+ on amqp://${user}@.*bound to xpublic v03\\.#`));
    fs.rmSync(path.join(box.configDir, 'subscribe', 'reader.conf'));

    // Announcing downstream on an exchange of another user's.
    box.writeConfig('subscribe/writer.conf', [...reader, `post_broker ${url}`, 'post_exchange xs_other'].join('\n'));
    const refused = box.sr(['declare', 'subscribe/writer']);
    assert.equal(refused.code, 1);
    // RabbitMQ names the resource and the user (newer versions the permission too); mailpump names the permission.
    const said = new RegExp(`amqp://${user}@127\\.0\\.0\\.1:${port}/${encodeURIComponent(vhost)} refused to declare the exchange xs_other: it needs the "configure" permission on exchange 'xs_other' `
      + `\\(RabbitMQ: (configure )?access to exchange 'xs_other' in vhost '${vhost}' refused for user '${user}'\\)\\. Ask the broker's administrator for that permission, or, if the administrator made what it needs, set "exchangeDeclare off"`);
    assert.match(refused.stderr, new RegExp(`^declare: subscribe/writer: ${said.source}`, 'm'));
    assert.doesNotMatch(refused.stderr, /\n\s+at |fault in mailpump/, 'no stack, no "fault in mailpump itself"');

    // Started all the same, the instance keeps trying, and sr status says what fails.
    assert.equal(box.sr(['start', 'subscribe/writer']).code, 0);
    try {
      await waitFor(() => box.sr(['status', 'subscribe/writer']).code === 1, 20000, 'sr status to report the refusal');
      const shown = box.sr(['status', 'subscribe/writer']).stdout;
      assert.match(shown, /subscribe\/writer +failing/);
      assert.match(shown, said);
      assert.doesNotMatch(fs.readFileSync(path.join(box.cacheDir, 'log', 'subscribe_writer_01.log'), 'utf8'), /sub-secret/);
    } finally {
      box.sr(['stop', 'subscribe/writer']);
    }
  });

  it('cleanup gives up with a clear error when the broker cannot be reached', async () => {
    const port = await freePort(); // nothing listens there
    box.writeConfig('credentials.conf', `amqp://mailpump:secret@127.0.0.1:${port}/\n`);
    box.writeConfig('subscribe/gone.conf', `broker amqp://mailpump@127.0.0.1:${port}/\ndirectory /tmp/files\n`);
    box.writeState('subscribe', 'gone', 'queue_name', 'q_mailpump.subscribe.gone.x');
    const started = Date.now();
    const cleaned = box.sr(['cleanup', 'subscribe/gone']);
    assert.equal(cleaned.code, 1);
    assert.match(cleaned.stderr, new RegExp(`cannot reach amqp://mailpump@127.0.0.1:${port}/`));
    assert.ok(Date.now() - started < 20000, 'it does not retry forever');
    assert.ok(fs.existsSync(box.stateFile('subscribe', 'gone', 'queue_name')), 'state kept when the queue could not be deleted');
  });

  it('start refuses a broker with no password in credentials.conf, naming the line to add', () => {
    box.writeConfig('credentials.conf', '');
    box.writeConfig('subscribe/mail.conf', 'broker amqp://feeder@broker.example.com/\ndirectory /tmp/files\n');
    const started = box.sr(['start']);
    assert.equal(started.code, 1);
    assert.match(started.stderr, /no password for amqp:\/\/feeder@broker.example.com\/ in credentials.conf: add a line amqp:\/\/feeder:PASSWORD@broker.example.com:5672\//);
  });
});

describe('sr status and the broker', () => {
  it('shows the broker state and queue depth of a running subscribe on the local broker', async () => {
    box.writeConfig('subscribe/mail.conf', ['directory ${HOME}/files', 'metrics_writeInterval 1s', 'instances 2', 'reject .*/unwanted/.*', 'metricsDirectory ${HOME}/metrics'].join('\n'));
    assert.equal(box.sr(['start']).code, 0);
    await waitFor(() => status('subscribe/mail').broker?.depth === 0, 10000, 'the first depth report');
    const row = status('subscribe/mail');
    assert.equal(row.broker?.state, 'connected');
    assert.equal(row.broker?.label, 'local:');
    const queue = fs.readFileSync(box.stateFile('subscribe', 'mail', 'queue_name'), 'utf8');
    assert.equal(row.broker?.queue, queue, 'both instances share one queue');
    assert.match(queue, /^q_anonymous\.subscribe\.mail\./);

    // Announcements to the local broker's default exchange reach the queue, where poll and
    // subscribe meet; these are no mail notifications, so the subscribe sets them aside.
    const local = LocalBroker.open(path.join(box.cacheDir, 'broker', 'local.sqlite'));
    try {
      for (let n = 0; n < 3; n += 1) await local.publish('xpublic', 'v03.INBOX', Buffer.from('{}'), 'application/json');
      // A file sr3 announced on the same exchange, and one the config rejects: the reject rules come first.
      const file = (relPath: string) => encodeNotification({ pubTime: formatPubTime(new Date()), baseUrl: 'sftp://feeder@files.example.org/', relPath, size: 1 });
      await local.publish('xpublic', 'v03.data', file('data/unwanted/x.grib'), 'application/json');
      await local.publish('xpublic', 'v03.data', file('data/obs/y.grib'), 'application/json');
      await waitFor(() => local.deadLetters(queue).length === 4, 10000, 'the four to be consumed and set aside');
      assert.equal(local.deadLetters(queue)[3]!.reason, 'sftp://feeder@files.example.org/data/obs/y.grib is not mail from a mailpump poll: its baseUrl is sftp:, not imap, imaps, pop or pops');
      await waitFor(() => status('subscribe/mail').counters?.deadLetters === 4 && status('subscribe/mail').counters?.rejected === 1, 10000, 'sr status to count them');
    } finally {
      await local.close();
    }
    await waitFor(() => status('subscribe/mail').broker?.depth === 0, 10000, 'the depth to show 0');
    assert.match(box.sr(['status']).stdout, /^subscribe\/mail +running +2\/2 +connected +0 /m);
    // The same for monitoring, one textfile per instance; gone once stopped.
    const prom = (n: number) => path.join(box.home, 'metrics', `mailpump_subscribe_mail_0${n}.prom`);
    await waitFor(() => [1, 2].every((n) => fs.existsSync(prom(n))), 10000, 'the metrics files');
    const text = fs.readFileSync(prom(1), 'utf8') + fs.readFileSync(prom(2), 'utf8');
    assert.match(text, /^mailpump_queue_depth\{queue="q_anonymous\.subscribe\.mail\.[^"]+",component="subscribe",config="mail",instance="1"\} 0$/m);
    assert.match(text, /^mailpump_broker_connected\{broker="local:",component="subscribe",config="mail",instance="2"\} 1$/m);
    assert.match(text, /^mailpump_queue_oldest_age_seconds\{queue="q_anonymous\.subscribe\.mail\.[^"]+",component="subscribe",config="mail",instance="1"\} 0$/m, 'nothing waits');
    assert.match(text, /^# TYPE mailpump_events_total counter$/m);
    const events = [...text.matchAll(/^mailpump_events_total\{event="deadLetters",[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    assert.equal(events, 4, 'the dead letters, counted over both instances');
    assert.equal(box.sr(['stop']).code, 0);
    assert.deepEqual(fs.readdirSync(path.join(box.home, 'metrics')), [], 'no stale metrics after a stop');
  });

  it('relays with download off: what it takes is announced again with its header lines, nothing is written; messageCountMax stops it', async () => {
    box.writeConfig('subscribe/relay.conf', ['download off', 'post_broker local:', 'post_exchange xs_relay', 'header team=compta', 'reject .*/Spam/.*',
      'logReject on', 'messageCountMax 3', 'metrics_writeInterval 1s'].join('\n'));
    const local = LocalBroker.open(path.join(box.cacheDir, 'broker', 'local.sqlite'));
    try {
      await local.declareQueue({ name: 'q_tap.relay', bindings: [{ exchange: 'xs_relay', topic: '#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
      const relayed: Array<{ topic: string; body: Record<string, unknown> }> = [];
      await local.consume('q_tap.relay', 10, async (delivery) => {
        relayed.push({ topic: delivery.topic, body: JSON.parse(delivery.body.toString()) as Record<string, unknown> });
        await delivery.ack();
      });
      const started = box.sr(['start', 'subscribe/relay']);
      assert.equal(started.code, 0, started.stderr);
      const mail = (folder: string, uid: number) => encodeNotification({
        pubTime: formatPubTime(new Date()), baseUrl: 'imaps://ingest@mail.example.org:993/', relPath: `${folder}/${uid}.eml`, size: 100,
        mail: { folder, uidValidity: 7, uid },
      });
      await local.publish('xpublic', 'v03.mail.example.org.ingest.INBOX', mail('INBOX', 1), 'application/json');
      await local.publish('xpublic', 'v03.mail.example.org.ingest.Spam', mail('Spam', 2), 'application/json');
      await local.publish('xpublic', 'v03.mail.example.org.ingest.INBOX', mail('INBOX', 3), 'application/json');
      await waitFor(() => relayed.length === 2, 15000, 'the two not rejected');
      assert.deepEqual(relayed.map((r) => [r.topic, r.body.relPath, r.body.team, (r.body.mail as { uid: number }).uid]), [
        ['v03.mail.example.org.ingest.INBOX', 'INBOX/1.eml', 'compta', 1], ['v03.mail.example.org.ingest.INBOX', 'INBOX/3.eml', 'compta', 3],
      ]);
      await waitFor(() => status('subscribe/relay').state === 'stopped', 15000, 'messageCountMax 3 to stop it');
      const log = fs.readFileSync(path.join(box.cacheDir, 'log', 'subscribe_relay_01.log'), 'utf8');
      assert.match(log, /rejected: imaps:\/\/ingest@mail.example.org:993\/Spam\/2.eml: reject \.\*\/Spam\/\.\* \(subscribe\/relay.conf:5\)/);
      assert.match(log, /messageCountMax 3 reached/);
      assert.equal(fs.existsSync(path.join(box.home, 'files')), false, 'nothing written');
    } finally {
      await local.close();
    }
  });

  it('shows a subscribe on RabbitMQ connected with its queue depth', async () => {
    credentials();
    await declareExchange('xs_mailpump');
    box.writeConfig('subscribe/rabbit.conf', [brokerLine(), 'directory ${HOME}/files', 'metrics_writeInterval 1s'].join('\n'));
    const started = box.sr(['start']);
    assert.equal(started.code, 0, started.stderr);
    await waitFor(() => status('subscribe/rabbit').broker?.depth === 0, 15000, 'the first depth report');
    assert.equal(status('subscribe/rabbit').broker?.state, 'connected');
    const log = fs.readFileSync(path.join(box.cacheDir, 'log', 'subscribe_rabbit_01.log'), 'utf8');
    assert.match(log, /broker amqp:\/\/mailpump@127.0.0.1:\d+\/test-\d+: connected/);
    assert.doesNotMatch(log, new RegExp(bench.rabbit.password));
    assert.equal(box.sr(['cleanup', 'subscribe/rabbit']).code, 1, 'cleanup is refused while it runs');
  });
});

describe('sr deadletter', () => {
  for (const kind of ['local', 'rabbitmq'] as const) {
    it(`lists, drops and sends again the notifications a subscribe set aside, on the ${kind} broker`, async () => {
      const lines = ['directory ${HOME}/files', 'metrics_writeInterval 1s'];
      if (kind === 'rabbitmq') {
        credentials();
        await declareExchange('xs_mailpump');
        lines.unshift(brokerLine());
      }
      box.writeConfig('subscribe/dl.conf', lines.join('\n'));
      assert.equal(box.sr(['start', 'subscribe/dl']).code, 0);
      await waitFor(() => status('subscribe/dl').broker?.depth === 0, 15000, 'the queue declared');
      const queue = fs.readFileSync(box.stateFile('subscribe', 'dl', 'queue_name'), 'utf8');
      const notMail = (relPath: string) => encodeNotification({ pubTime: formatPubTime(new Date()), baseUrl: 'sftp://feeder@files.example.org/', relPath, size: 1 });
      if (kind === 'local') {
        const local = LocalBroker.open(path.join(box.cacheDir, 'broker', 'local.sqlite'));
        for (const name of ['a.grib', 'b.grib']) await local.sendToQueue(queue, notMail(name), 'application/json');
        await local.close();
      } else {
        const connection = await amqp.connect(amqpUrl(bench.rabbit));
        const channel = await connection.createConfirmChannel();
        for (const name of ['a.grib', 'b.grib']) channel.sendToQueue(queue, notMail(name), { contentType: 'application/json', persistent: true });
        await channel.waitForConfirms();
        await connection.close();
      }
      await waitFor(() => status('subscribe/dl').counters?.deadLetters === 2, 15000, 'both set aside');
      const listed = box.sr(['deadletter', 'list', 'subscribe/dl']);
      assert.equal(listed.code, 0, listed.stderr);
      const rows = listed.stdout.split('\n').filter((line) => line.startsWith('subscribe/dl '));
      assert.equal(rows.length, 2, listed.stdout);
      assert.match(rows[0]!, /a\.grib is not mail from a mailpump poll: its baseUrl is sftp:/);
      const ids = rows.map((row) => row.split(/\s+/)[1]!);
      const dropped = box.sr(['deadletter', 'drop', 'subscribe/dl', ids[0]!]);
      assert.equal(dropped.code, 0, dropped.stderr);
      assert.match(dropped.stdout, new RegExp(`${ids[0]} dropped`));
      assert.equal(box.sr(['deadletter', 'drop', 'subscribe/dl', 'nosuchid']).code, 1);
      const retried = box.sr(['deadletter', 'retry', 'subscribe/dl', 'all']);
      assert.equal(retried.code, 0, retried.stderr);
      assert.match(retried.stdout, new RegExp(`${ids[1]} sent into ${queue.replace(/\./g, '\\.')} again`));
      // Still not mail: taken again and set aside again, once.
      await waitFor(() => status('subscribe/dl').counters?.deadLetters === 3, 15000, 'set aside again');
      const again = box.sr(['deadletter', 'list', 'subscribe/dl']).stdout.split('\n').filter((line) => line.startsWith('subscribe/dl '));
      assert.deepEqual(again.map((row) => row.split(/\s+/)[1]), [ids[1]]);
      assert.equal(box.sr(['stop', 'subscribe/dl']).code, 0);
    });
  }
});
