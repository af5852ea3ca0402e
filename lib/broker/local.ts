// The embedded local broker: one SQLite database (better-sqlite3, WAL) under the cache
// directory, shared by every instance of the host. It gives what mailpump uses of AMQP:
// topic exchanges, durable queues, competing consumers (a message is held by one consumer
// at a time), acknowledgements, and redelivery of what a dead or departing consumer held.
//
// Durability: a publish resolves after its transaction commits. With WAL and
// synchronous=NORMAL a commit survives the kill -9 of any process; after a power failure
// the last commits may be lost (RabbitMQ's publisher confirms have the same fsync window
// unless it is told otherwise).
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { pidExists } from '../system/pids.js';
import { openDatabase, Statements } from '../system/sqlite.js';
import { PerTurn } from '../system/perTurn.js';
import { type Broker, type BrokerState, type DeadLetter, deadLetterId, type DeadLetterBounds, type QueueSpec, type RawDelivery, type Subscription, topicMatches, Unroutable } from './broker.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS exchanges (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY,
  expire_seconds REAL NOT NULL DEFAULT 0,
  message_age_max REAL NOT NULL DEFAULT 0,
  last_used REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
  queue TEXT NOT NULL, exchange TEXT NOT NULL, topic TEXT NOT NULL,
  PRIMARY KEY (queue, exchange, topic)
);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL, exchange TEXT NOT NULL, topic TEXT NOT NULL,
  content_type TEXT, body BLOB NOT NULL, published REAL NOT NULL,
  holder TEXT, deliveries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, holder, id);
CREATE TABLE IF NOT EXISTS consumers (id TEXT PRIMARY KEY, pid INTEGER NOT NULL, queue TEXT NOT NULL, seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body BLOB NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL
);
`;

/** A consumer that has not refreshed its row for this long is dead even if its pid lives (pid reuse). */
const CONSUMER_STALE_SECONDS = 30;
/** How often each consumer refreshes its row. */
const KEEPALIVE_MS = 1000;
/** How often each process with the broker open looks for dead consumers, old messages, expired queues. */
const HOUSEKEEPING_MS = 1000;
/** How long an idle consumer waits before it looks for new messages again. */
const IDLE_POLL_MS = 20;

interface MessageRow {
  id: number;
  exchange: string;
  topic: string;
  content_type: string | null;
  body: Buffer;
  deliveries: number;
}

const now = () => Date.now() / 1000;

interface Publication {
  readonly exchange: string;
  readonly topic: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly mandatory: boolean;
}

export class LocalBroker implements Broker {
  readonly label = 'local:';
  private closed = false;
  private readonly subscriptions = new Set<LocalSubscription>();

  private readonly housekeepingTimer: NodeJS.Timeout;
  /** Every publish, claim and ack runs one of a few statements: each is prepared once. */
  private readonly statements: Statements;

  private constructor(readonly file: string, readonly db: Database.Database) {
    this.statements = new Statements(db);
    // Every process that has the broker open does its share of the housekeeping; the timer
    // must not keep a process alive on its own.
    this.housekeepingTimer = setInterval(() => this.housekeeping(), HOUSEKEEPING_MS);
    this.housekeepingTimer.unref();
  }

  static open(file: string): LocalBroker {
    const broker = new LocalBroker(file, openDatabase(file, SCHEMA));
    broker.housekeeping();
    return broker;
  }

  statement(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  /** Gives back what a consumer held and forgets it: it left, or it died. */
  forgetConsumer(id: string): void {
    this.statement('UPDATE messages SET holder = NULL WHERE holder = ?').run(id);
    this.statement('DELETE FROM consumers WHERE id = ?').run(id);
  }

  private requireQueue(queue: string): void {
    if (!this.statement('SELECT 1 FROM queues WHERE name = ?').get(queue)) throw new Error(`local broker: no queue "${queue}" (declare it first)`);
  }

  /** Frees what dead consumers held, drops messages past their queue's age limit and queues past their expiry. */
  housekeeping(): void {
    if (this.closed) return;
    const at = now();
    this.db.transaction(() => {
      const consumers = this.statement('SELECT id, pid, seen FROM consumers').all() as Array<{ id: string; pid: number; seen: number }>;
      for (const consumer of consumers) {
        const dead = consumer.seen < at - CONSUMER_STALE_SECONDS || (consumer.pid !== process.pid && !pidExists(consumer.pid));
        if (dead) this.forgetConsumer(consumer.id);
      }
      this.statement(`DELETE FROM messages WHERE holder IS NULL AND published <
        ? - (SELECT message_age_max FROM queues WHERE queues.name = messages.queue AND message_age_max > 0)`).run(at);
      const expired = this.statement(`SELECT name FROM queues WHERE expire_seconds > 0 AND last_used < ? - expire_seconds
        AND name NOT IN (SELECT queue FROM consumers)`).all(at) as Array<{ name: string }>;
      for (const { name } of expired) this.dropQueue(name);
    }).immediate();
    for (const subscription of this.subscriptions) subscription.poke();
  }

  private dropQueue(queue: string): void {
    for (const table of ['messages', 'bindings', 'consumers']) this.statement(`DELETE FROM ${table} WHERE queue = ?`).run(queue);
    this.statement('DELETE FROM queues WHERE name = ?').run(queue);
  }

  get state(): BrokerState {
    return this.closed ? 'closed' : 'connected';
  }

  async ready(): Promise<void> {
    // the database is open: nothing to wait for
  }

  async declareExchange(name: string): Promise<void> {
    this.statement('INSERT OR IGNORE INTO exchanges (name) VALUES (?)').run(name);
  }

  async declareQueue(spec: QueueSpec): Promise<void> {
    this.db.transaction(() => {
      this.statement(`INSERT INTO queues (name, expire_seconds, message_age_max, last_used) VALUES (?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET expire_seconds = excluded.expire_seconds, message_age_max = excluded.message_age_max, last_used = excluded.last_used`)
        .run(spec.name, spec.expireSeconds, spec.messageAgeMaxSeconds, now());
      // The bindings are the config's as it is now: one it no longer has (a subscribe now
      // paired with its poll's mailboxes, a subtopic line removed) would go on routing to it.
      this.statement('DELETE FROM bindings WHERE queue = ?').run(spec.name);
      for (const binding of spec.bindings) {
        this.statement('INSERT OR IGNORE INTO exchanges (name) VALUES (?)').run(binding.exchange);
        this.statement('INSERT OR IGNORE INTO bindings (queue, exchange, topic) VALUES (?, ?, ?)').run(spec.name, binding.exchange, binding.topic);
      }
    }).immediate();
  }

  async publish(exchange: string, topic: string, body: Buffer, contentType: string, mandatory = false): Promise<void> {
    const refused = await this.publishedSoon.add({ exchange, topic, body, contentType, mandatory });
    if (refused) throw refused;
  }

  /**
   * The publishes of one turn of the event loop in one transaction (a poll publishes a
   * batch at once, and a commit each was most of its time in SQLite), each in a savepoint
   * of its own, so that one refused (no such exchange, unroutable) is that caller's error
   * only. Each caller's promise settles once the whole transaction is committed.
   */
  private readonly publishedSoon = new PerTurn<Publication, unknown>((publications) => this.db.transaction(() => publications.map((publication) => {
    try {
      this.db.transaction(() => this.publishNow(publication))();
      return undefined;
    } catch (error) {
      return error;
    }
  })).immediate());

  private publishNow({ exchange, topic, body, contentType, mandatory }: Publication): void {
    if (!this.statement('SELECT 1 FROM exchanges WHERE name = ?').get(exchange)) {
      throw new Error(`local broker: no exchange "${exchange}" (declare it first)`);
    }
    const bindings = this.statement('SELECT queue, topic FROM bindings WHERE exchange = ?').all(exchange) as Array<{ queue: string; topic: string }>;
    const queues = new Set(bindings.filter((binding) => topicMatches(binding.topic, topic)).map((binding) => binding.queue));
    if (mandatory && queues.size === 0) throw new Unroutable(exchange, topic);
    const insert = this.statement('INSERT INTO messages (queue, exchange, topic, content_type, body, published) VALUES (?, ?, ?, ?, ?, ?)');
    const published = now();
    for (const queue of queues) insert.run(queue, exchange, topic, contentType, body, published);
  }

  async consume(queue: string, prefetch: number, onDelivery: (delivery: RawDelivery) => Promise<void>): Promise<Subscription> {
    this.requireQueue(queue);
    const subscription = new LocalSubscription(this, queue, Math.max(1, prefetch), onDelivery, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async queueDepth(queue: string): Promise<number> {
    this.requireQueue(queue);
    const row = this.statement('SELECT count(*) AS n FROM messages WHERE queue = ? AND holder IS NULL').get(queue) as { n: number };
    return row.n;
  }

  async sendToQueue(queue: string, body: Buffer, contentType: string): Promise<void> {
    this.db.transaction(() => {
      if (!this.statement('SELECT 1 FROM queues WHERE name = ?').get(queue)) throw new Error(`local broker: no queue "${queue}"`);
      this.statement('INSERT INTO messages (queue, exchange, topic, content_type, body, published) VALUES (?, ?, ?, ?, ?, ?)').run(queue, '', '', contentType, body, now());
    }).immediate();
    for (const subscription of this.subscriptions) subscription.poke();
  }

  async deadLetter(queue: string, body: Buffer, reason: string, bounds: DeadLetterBounds): Promise<void> {
    this.db.transaction(() => {
      this.statement('INSERT INTO dead_letters (queue, body, reason, at) VALUES (?, ?, ?, ?)').run(queue, body, reason, now());
      if (bounds.maxAgeSeconds > 0) this.statement('DELETE FROM dead_letters WHERE queue = ? AND at < ?').run(queue, now() - bounds.maxAgeSeconds);
      if (bounds.maxCount > 0) {
        this.statement('DELETE FROM dead_letters WHERE queue = ? AND id NOT IN (SELECT id FROM dead_letters WHERE queue = ? ORDER BY id DESC LIMIT ?)').run(queue, queue, bounds.maxCount);
      }
    }).immediate();
  }

  /** What deadLetter kept, oldest first, with the row each is. */
  deadLetters(queue: string): Array<DeadLetter & { readonly row: number }> {
    const rows = this.statement('SELECT id, body, reason, at FROM dead_letters WHERE queue = ? ORDER BY id').all(queue) as Array<{ id: number; body: Buffer; reason: string; at: number }>;
    return rows.map((row) => ({ row: row.id, id: deadLetterId(row.reason, row.body), reason: row.reason, at: new Date(row.at * 1000).toISOString(), body: row.body }));
  }

  async listDeadLetters(queue: string): Promise<DeadLetter[]> {
    return this.deadLetters(queue);
  }

  async settleDeadLetters(queue: string, ids: readonly string[] | 'all', each: (letter: DeadLetter) => Promise<void>): Promise<number> {
    let settled = 0;
    for (const letter of this.deadLetters(queue)) {
      if (ids !== 'all' && !ids.includes(letter.id)) continue;
      await each(letter);
      this.statement('DELETE FROM dead_letters WHERE id = ?').run(letter.row);
      settled += 1;
    }
    return settled;
  }

  async deleteQueue(queue: string): Promise<void> {
    this.db.transaction(() => this.dropQueue(queue)).immediate();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.cancel()));
    clearInterval(this.housekeepingTimer);
    this.closed = true;
    this.db.close();
  }
}

class LocalSubscription implements Subscription {
  private readonly id = `${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
  private inFlight = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly broker: LocalBroker,
    private readonly queue: string,
    private readonly prefetch: number,
    private readonly onDelivery: (delivery: RawDelivery) => Promise<void>,
    private readonly onCancel: () => void,
  ) {}

  private get db(): Database.Database {
    return this.broker.db;
  }

  start(): void {
    this.broker.statement('INSERT INTO consumers (id, pid, queue, seen) VALUES (?, ?, ?, ?)').run(this.id, process.pid, this.queue, now());
    this.keepaliveTick();
    this.keepalive = setInterval(() => this.keepaliveTick(), KEEPALIVE_MS);
    this.loop = this.run();
  }

  /** Tells the broker this consumer lives and its queue is used. */
  private keepaliveTick(): void {
    const at = now();
    this.broker.statement('UPDATE consumers SET seen = ? WHERE id = ?').run(at, this.id);
    this.broker.statement('UPDATE queues SET last_used = ? WHERE name = ?').run(at, this.queue);
  }

  /** Something may have become ready (messages freed by housekeeping): look now. */
  poke(): void {
    this.wake?.();
  }

  /** Takes up to `limit` ready messages for this consumer, in order; atomic across processes. */
  private claim(limit: number): MessageRow[] {
    return this.db.transaction(() => this.broker.statement(`UPDATE messages SET holder = ?, deliveries = deliveries + 1
      WHERE id IN (SELECT id FROM messages WHERE queue = ? AND holder IS NULL ORDER BY id LIMIT ?)
      RETURNING id, exchange, topic, content_type, body, deliveries`).all(this.id, this.queue, limit) as MessageRow[]).immediate()
      .sort((a, b) => a.id - b.id);
  }

  private async run(): Promise<void> {
    // Messages are claimed a few at a time, not one per acknowledgement: each claim is a
    // write transaction of its own.
    const least = Math.max(1, Math.ceil(this.prefetch / 4));
    while (!this.stopped) {
      const room = this.prefetch - this.inFlight;
      const rows = room >= least || (room > 0 && this.inFlight === 0) ? this.claim(room) : [];
      for (const row of rows) this.deliver(row);
      if (rows.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, IDLE_POLL_MS);
          this.wake = () => { clearTimeout(timer); resolve(); };
        });
        this.wake = undefined;
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /**
   * The acknowledgements of one turn of the event loop in one transaction at its end (the
   * messages of a mail-action batch are acknowledged together).
   */
  private readonly acks = new PerTurn<number>((ids) => {
    if (this.broker.state !== 'closed') {
      const remove = this.broker.statement('DELETE FROM messages WHERE id = ? AND holder = ?');
      this.db.transaction(() => { for (const id of ids) remove.run(id, this.id); }).immediate();
    }
    this.inFlight -= ids.length;
    this.wake?.();
  });

  private deliver(row: MessageRow): void {
    this.inFlight += 1;
    let settled = false;
    const settle = (sql: string) => async () => {
      if (settled || this.broker.state === 'closed') return;
      settled = true;
      this.broker.statement(sql).run(row.id, this.id);
      this.inFlight -= 1;
      this.wake?.();
    };
    const ack = async () => {
      if (settled || this.broker.state === 'closed') return;
      settled = true;
      await this.acks.add(row.id);
    };
    const delivery: RawDelivery = {
      body: row.body,
      contentType: row.content_type ?? undefined,
      topic: row.topic,
      exchange: row.exchange,
      redelivered: row.deliveries > 1,
      ack,
      requeue: settle('UPDATE messages SET holder = NULL WHERE id = ? AND holder = ?'),
    };
    void this.onDelivery(delivery).catch(() => delivery.requeue());
  }

  /** Stops taking messages and gives back those not acknowledged, as an AMQP channel close does. */
  async cancel(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.keepalive);
    this.wake?.();
    await this.loop;
    this.db.transaction(() => this.broker.forgetConsumer(this.id)).immediate();
    this.onCancel();
  }
}
