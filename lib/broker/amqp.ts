// RabbitMQ through amqplib, with sr3's topology (sr3.md 5.4): durable topic exchanges,
// durable queues, persistent messages, publisher confirms (not transactions). Reconnecting
// is amqplib's own recovery (capped exponential backoff with jitter); its `setup` hook
// re-opens the publishing channel and every consumer after each reconnect. The state is
// logged once per change, not once per attempt.
import crypto from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib';
import { type Broker, type DeadLetter, deadLetterId, type DeadLetterBounds, BrokerRefused, type SharedPollSupport, type BrokerState, BrokerUnreachable, type QueueSpec, type RawDelivery, type Subscription, Unroutable } from './broker.js';

export interface AmqpTarget {
  readonly protocol: 'amqp' | 'amqps';
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly vhost: string;
  /** the URL without password, for messages */
  readonly label: string;
}

export interface AmqpOptions {
  /** keep reconnecting forever (instances) or give up after a few tries (sr declare / cleanup) */
  readonly persistent: boolean;
  readonly onStateChange?: (state: BrokerState, detail: string) => void;
}

const MAX_RECONNECT_DELAY_MS = 30000;
/** sr3's exchanges and queues: durable, never deleted by the broker on its own. */
const DURABLE = { durable: true, autoDelete: false } as const;

/** Where the bodies that cannot be read are kept: a durable queue beside the live one. */
/** A declaration, with the permission RabbitMQ asks for it and the sr3 option that skips it. */
interface Declaration {
  readonly what: string;
  readonly needs: string;
  readonly option: string;
}

/**
 * RabbitMQ's refusal of a declaration as what it is: the permission the user lacks (RabbitMQ
 * names the resource and the user, not always the permission), and what the user can do:
 * sr3's roles give a subscriber configure rights on q_<user>.* only. Other errors pass unchanged.
 */
function refusal(label: string, declaration: Declaration, error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  const text = String((error as Error)?.message ?? error);
  const said = (/with message "(.*)"$/s.exec(text)?.[1] ?? text).replace(/^[A-Z_]+ - /, '');
  if (code === 403) {
    return new BrokerRefused(`${label} refused to ${declaration.what}: it needs ${declaration.needs} (RabbitMQ: ${said}). Ask the broker's administrator for that permission, or, if the administrator made what it needs, set "${declaration.option} off"`, true);
  }
  if (code === 404) {
    return new BrokerRefused(`${label}: cannot ${declaration.what}: ${said}${/no exchange/.test(said) ? ': an exchange is declared by whoever posts to it (its poll, when it starts, or sr declare)' : ''}`, false);
  }
  return error;
}

function exchangeDeclaration(name: string): Declaration {
  return { what: `declare the exchange ${name}`, needs: `the "configure" permission on exchange '${name}'`, option: 'exchangeDeclare' };
}

function deadLetterQueue(queue: string): string {
  return `${queue}.dead`;
}
const FAIL_FAST_RETRIES = 2;

interface Consumer {
  readonly queue: string;
  readonly prefetch: number;
  readonly onDelivery: (delivery: RawDelivery) => Promise<void>;
  channel?: Channel;
  cancelled: boolean;
}

export class AmqpBroker implements Broker {
  private currentState: BrokerState = 'connecting';
  private publisher: ConfirmChannel | undefined;
  /** message ids of mandatory publishes RabbitMQ returned: it returns before it confirms */
  private readonly returned = new Set<string>();
  private readonly consumers = new Set<Consumer>();
  private connected: Promise<void>;
  private markConnected: () => void = () => undefined;

  private constructor(readonly label: string, private readonly model: RecoveringChannelModel, private readonly options: AmqpOptions) {
    this.connected = new Promise((resolve) => { this.markConnected = resolve; });
  }

  /** Starts connecting and returns at once; ready() waits for the first connection. */
  static async open(target: AmqpTarget, options: AmqpOptions): Promise<AmqpBroker> {
    let broker: AmqpBroker | undefined;
    const model = await amqp.connect({
      protocol: target.protocol, hostname: target.hostname, port: target.port,
      username: target.username, password: target.password, vhost: target.vhost,
    }, {
      recovery: {
        waitForConnect: false,
        maxDelay: MAX_RECONNECT_DELAY_MS,
        ...(options.persistent ? {} : { maxRetries: FAIL_FAST_RETRIES }),
        setup: async (connection: ChannelModel) => broker?.setup(connection),
      },
    });
    broker = new AmqpBroker(target.label, model, options);
    const lost = (error: Error) => broker?.changeState('disconnected', error.message);
    model.on('disconnect', lost);
    model.on('connect-failed', lost);
    model.on('error', () => undefined); // reported through 'disconnect'; an unhandled 'error' would end the process
    return broker;
  }

  async ready(): Promise<void> {
    try {
      await this.model.waitForConnect();
    } catch (error) {
      throw new BrokerUnreachable(`cannot reach ${this.label}: ${(error as Error).message}`);
    }
    await this.connected;
  }

  get state(): BrokerState {
    return this.currentState;
  }

  private changeState(state: BrokerState, detail: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    if (state !== 'connected') this.connected = new Promise((resolve) => { this.markConnected = resolve; });
    this.options.onStateChange?.(state, detail);
  }

  /** Runs after every (re)connect: a new confirm channel for publishing, and every consumer again. */
  private async setup(connection: ChannelModel): Promise<void> {
    this.publisher = await this.openPublisher(connection);
    for (const consumer of this.consumers) {
      if (!consumer.cancelled) await this.startConsumer(connection, consumer);
    }
    this.changeState('connected', this.label);
    this.markConnected();
  }

  /** Runs work on a short-lived channel: a failed declaration closes its channel, not the connection's others. */
  private async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    await this.connected;
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async declareExchange(name: string): Promise<void> {
    await this.withChannel((channel) => this.refused(exchangeDeclaration(name), channel.assertExchange(name, 'topic', DURABLE)));
  }

  async declareQueue(spec: QueueSpec): Promise<void> {
    await this.withChannel(async (channel) => {
      if (spec.declare !== false) {
        await this.refused({ what: `declare the queue ${spec.name}`, needs: `the "configure" permission on queue '${spec.name}'`, option: 'queueDeclare' }, channel.assertQueue(spec.name, {
          ...DURABLE,
          arguments: {
            ...(spec.expireSeconds > 0 ? { 'x-expires': Math.round(spec.expireSeconds * 1000) } : {}),
            ...(spec.messageAgeMaxSeconds > 0 ? { 'x-message-ttl': Math.round(spec.messageAgeMaxSeconds * 1000) } : {}),
          },
        }));
      }
      if (spec.bind === false) return;
      for (const binding of spec.bindings) {
        if (spec.declareExchanges !== false) await this.refused(exchangeDeclaration(binding.exchange), channel.assertExchange(binding.exchange, 'topic', DURABLE));
        await this.refused({
          what: `bind the queue ${spec.name} to ${binding.exchange} ${binding.topic}`,
          needs: `the "write" permission on queue '${spec.name}' and the "read" permission on exchange '${binding.exchange}'`,
          option: 'queueBind',
        }, channel.bindQueue(spec.name, binding.exchange, binding.topic));
      }
    });
  }

  private async refused<T>(declaration: Declaration, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      throw refusal(this.label, declaration, error);
    }
  }

  /**
   * A confirm channel for publishing. RabbitMQ closes a channel on a channel error (a
   * publish to an exchange deleted meanwhile, `sr3 cleanup` does that; a permission
   * refused) while the connection stays up: the channel is then forgotten, and the next
   * publish opens a new one, instead of failing with "Channel closed" until a restart.
   */
  private async openPublisher(connection: { createConfirmChannel(): Promise<ConfirmChannel> }): Promise<ConfirmChannel> {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => { if (this.publisher === channel) this.publisher = undefined; });
    channel.on('return', (message: { properties: { messageId?: string } }) => {
      if (message.properties.messageId) this.returned.add(message.properties.messageId);
    });
    return channel;
  }

  private publisherOpening: Promise<ConfirmChannel> | undefined;

  private async publishingChannel(): Promise<ConfirmChannel> {
    await this.connected;
    if (this.publisher) return this.publisher;
    this.publisherOpening ??= this.openPublisher(this.model).then((channel) => {
      this.publisher = channel;
      return channel;
    }).finally(() => { this.publisherOpening = undefined; });
    return this.publisherOpening;
  }

  /** Sends on the confirm channel once connected; resolves when RabbitMQ confirms. */
  private async confirmed(what: string, send: (channel: ConfirmChannel, done: (error: unknown) => void) => void): Promise<void> {
    const channel = await this.publishingChannel();
    await new Promise<void>((resolve, reject) => {
      send(channel, (error) => {
        if (!error) return resolve();
        const text = String((error as Error)?.message ?? error);
        // Whichever comes first, this or the channel's 'close': the channel is not used again.
        const closed = /channel closed/i.test(text);
        if (closed && this.publisher === channel) this.publisher = undefined;
        reject(Object.assign(new Error(`${this.label}: ${what} not confirmed: ${text}`), { channelClosed: closed }));
      });
    });
  }

  async publish(exchange: string, topic: string, body: Buffer, contentType: string, mandatory = false): Promise<void> {
    const messageId = mandatory ? crypto.randomUUID() : undefined;
    const send = () => this.confirmed(`publish to ${exchange}`, (channel, done) => channel.publish(exchange, topic, body, { persistent: true, contentType, ...(messageId ? { mandatory, messageId } : {}) }, done));
    try {
      await send();
    } catch (error) {
      // The channel closed under the publish: RabbitMQ's answer to an exchange deleted
      // meanwhile (404; its words come on the channel, not to the publish). The exchange is
      // declared again where the user may (a refusal leaves it to sr declare, and says so),
      // then the message is sent once more, on a new channel.
      if (!(error as { channelClosed?: boolean }).channelClosed) throw error;
      await this.declareExchange(exchange);
      await send();
    }
    if (messageId && this.returned.delete(messageId)) throw new Unroutable(exchange, topic);
  }

  async consume(queue: string, prefetch: number, onDelivery: (delivery: RawDelivery) => Promise<void>): Promise<Subscription> {
    const consumer: Consumer = { queue, prefetch: Math.max(1, prefetch), onDelivery, cancelled: false };
    this.consumers.add(consumer);
    await this.connected;
    // The recovery model opens channels on the current connection.
    await this.startConsumer(this.model as unknown as ChannelModel, consumer);
    return {
      cancel: async () => {
        consumer.cancelled = true;
        this.consumers.delete(consumer);
        await consumer.channel?.close().catch(() => undefined);
      },
    };
  }

  private async startConsumer(connection: ChannelModel, consumer: Consumer): Promise<void> {
    if (consumer.channel) await consumer.channel.close().catch(() => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    consumer.channel = channel;
    await channel.prefetch(consumer.prefetch);
    await channel.consume(consumer.queue, (message: ConsumeMessage | null) => {
      if (!message) return; // the queue was deleted: the consumer is cancelled by the server
      void consumer.onDelivery(this.delivery(channel, message)).catch(() => undefined);
    }, { noAck: false });
  }

  private delivery(channel: Channel, message: ConsumeMessage): RawDelivery {
    // After a reconnect the old channel is gone: an ack on it is impossible, and the
    // broker redelivers the message, which is what duplicate suppression is for.
    const settle = (action: () => void) => async () => {
      try {
        action();
      } catch {
        // channel closed
      }
    };
    return {
      body: message.content,
      contentType: message.properties.contentType as string | undefined,
      topic: message.fields.routingKey,
      exchange: message.fields.exchange,
      redelivered: message.fields.redelivered,
      ack: settle(() => channel.ack(message)),
      requeue: settle(() => channel.nack(message, false, true)),
    };
  }

  async queueDepth(queue: string): Promise<number> {
    return this.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  async sendToQueue(queue: string, body: Buffer, contentType: string): Promise<void> {
    await this.withChannel((channel) => channel.checkQueue(queue));
    await this.confirmed(`send to ${queue}`, (channel, done) => channel.sendToQueue(queue, body, { persistent: true, contentType }, done));
  }

  /** Keeps the body in the queue's dead-letter queue, with the reason in a header. */
  async deadLetter(queue: string, body: Buffer, reason: string, bounds: DeadLetterBounds): Promise<void> {
    const dead = deadLetterQueue(queue);
    // RabbitMQ keeps the bounds: the oldest dead letters are dropped past the length (its
    // default overflow, drop-head) or the age.
    const bounded = {
      ...(bounds.maxCount > 0 ? { 'x-max-length': bounds.maxCount } : {}),
      ...(bounds.maxAgeSeconds > 0 ? { 'x-message-ttl': Math.round(bounds.maxAgeSeconds * 1000) } : {}),
    };
    await this.withChannel((channel) => channel.assertQueue(dead, { ...DURABLE, arguments: bounded })).catch(async (error: unknown) => {
      // Declared before with other bounds (by an older mailpump, or before the options
      // changed): RabbitMQ refuses to change them (406), and the queue is used as it is.
      if ((error as { code?: unknown })?.code !== 406) throw error;
      await this.withChannel((channel) => channel.checkQueue(dead));
    });
    await this.confirmed(`dead letter to ${dead}`, (channel, done) => channel.sendToQueue(dead, body, { persistent: true, headers: { reason }, timestamp: Math.floor(Date.now() / 1000) }, done));
  }

  /**
   * Reads the dead-letter queue whole with basic.get, holding every message unacknowledged:
   * RabbitMQ puts back what is not acknowledged, in its order, when the channel closes.
   */
  private async withDeadLetters<T>(queue: string, work: (letters: Array<{ letter: DeadLetter; ack: () => void }>) => Promise<T>): Promise<T> {
    const dead = deadLetterQueue(queue);
    // Asked on a channel of its own: RabbitMQ closes the channel that asks for a missing queue.
    const exists = await this.withChannel((channel) => channel.checkQueue(dead)).then(() => true, () => false);
    return this.withChannel(async (channel) => {
      const letters: Array<{ letter: DeadLetter; ack: () => void }> = [];
      for (let message = exists ? await channel.get(dead, { noAck: false }) : false; message; message = await channel.get(dead, { noAck: false })) {
        const held = message;
        const reason = String(held.properties.headers?.reason ?? '');
        const at = typeof held.properties.timestamp === 'number' ? new Date(held.properties.timestamp * 1000).toISOString() : undefined;
        letters.push({ letter: { id: deadLetterId(reason, held.content), reason, at, body: held.content }, ack: () => channel.ack(held) });
      }
      return work(letters);
    });
  }

  async listDeadLetters(queue: string): Promise<DeadLetter[]> {
    return this.withDeadLetters(queue, async (letters) => letters.map(({ letter }) => letter));
  }

  async settleDeadLetters(queue: string, ids: readonly string[] | 'all', each: (letter: DeadLetter) => Promise<void>): Promise<number> {
    return this.withDeadLetters(queue, async (letters) => {
      let settled = 0;
      for (const { letter, ack } of letters) {
        if (ids !== 'all' && !ids.includes(letter.id)) continue;
        await each(letter);
        ack();
        settled += 1;
      }
      return settled;
    });
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.withChannel(async (channel) => {
      await channel.deleteQueue(queue);
      await channel.deleteQueue(deadLetterQueue(queue));
    });
  }

  private leaseChannel: Channel | undefined;

  readonly shared: SharedPollSupport = {
    lease: (queue) => this.lease(queue),
    holdsLease: () => this.leaseChannel !== undefined && this.currentState === 'connected',
    declareLog: (name, bindings, retentionSeconds) => this.declareLog(name, bindings, retentionSeconds),
    readLog: (name, onRecord) => this.readLog(name, onRecord),
  };

  /**
   * The lease is an exclusive consumer on a durable queue of that name: RabbitMQ refuses a
   * second one with 403 "in exclusive use", and drops the holder's the moment its connection
   * ends (or its heartbeat stops), when the next try of another host succeeds. Nothing is
   * ever published to the queue. A single-active-consumer queue was the other candidate; it
   * tells no AMQP 0-9-1 client which consumer is the active one (docs/decisions.md).
   */
  private async lease(queue: string): Promise<boolean> {
    if (this.leaseChannel) return true;
    await this.withChannel((channel) => this.refused({ what: `declare the queue ${queue}`, needs: `the "configure" permission on queue '${queue}'`, option: 'vip' }, channel.assertQueue(queue, DURABLE)));
    await this.connected;
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    try {
      // Nothing is published to it; a null delivery is the queue deleted under the holder (sr cleanup): the lease is gone.
      await channel.consume(queue, (message) => {
        if (message !== null || this.leaseChannel !== channel) return;
        this.leaseChannel = undefined;
        void channel.close().catch(() => undefined);
      }, { exclusive: true, noAck: true });
    } catch (error) {
      const text = String((error as Error)?.message ?? error);
      if ((error as { code?: unknown })?.code === 403 && /in exclusive use/.test(text)) return false;
      throw refusal(this.label, { what: `consume from the queue ${queue}`, needs: `the "read" permission on queue '${queue}'`, option: 'vip' }, error);
    }
    channel.on('close', () => { if (this.leaseChannel === channel) this.leaseChannel = undefined; });
    this.leaseChannel = channel;
    return true;
  }

  /** A stream: RabbitMQ keeps every message routed to it for the retention, and each reader reads it from where it asks. */
  private async declareLog(name: string, bindings: QueueSpec['bindings'], retentionSeconds: number): Promise<void> {
    await this.withChannel(async (channel) => {
      await this.refused({ what: `declare the stream ${name}`, needs: `the "configure" permission on queue '${name}'`, option: 'vip' },
        channel.assertQueue(name, { ...DURABLE, arguments: { 'x-queue-type': 'stream', 'x-max-age': `${Math.max(1, Math.round(retentionSeconds))}s` } }));
      for (const binding of bindings) {
        await this.refused({ what: `bind the stream ${name} to ${binding.exchange} ${binding.topic}`, needs: `the "write" permission on queue '${name}' and the "read" permission on exchange '${binding.exchange}'`, option: 'vip' },
          channel.bindQueue(name, binding.exchange, binding.topic));
      }
    });
  }

  private async readLog(name: string, onRecord: (body: Buffer) => boolean): Promise<void> {
    await this.connected;
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        channel.on('close', () => reject(new Error(`${this.label}: the connection dropped while reading ${name}`)));
        // A stream is read with acknowledgements (they pace it) from the offset asked.
        void channel.prefetch(500).then(() => channel.consume(name, (message) => {
          if (!message) return reject(new Error(`${this.label}: ${name} was deleted while it was read`));
          channel.ack(message);
          if (onRecord(message.content)) resolve();
        }, { noAck: false, arguments: { 'x-stream-offset': 'first' } })).catch(reject);
      });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    for (const consumer of this.consumers) consumer.cancelled = true;
    this.currentState = 'closed';
    await this.model.close().catch(() => undefined);
  }
}
