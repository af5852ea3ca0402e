// One interface for both brokers: the embedded local one and RabbitMQ. Both deliver raw
// bodies; decoding and quarantining malformed ones is done once, in notifications.ts.

import crypto from 'node:crypto';
import { UserError } from '../config/errors.js';

/** The broker could not be reached by a command that does not keep retrying: the user's to fix. */
export class BrokerUnreachable extends UserError {}

/** Publishing or acknowledging failed on the broker's side: it passes when the broker is back. */
export class BrokerError extends Error {}

/** A mandatory message no queue is bound to take: nothing would ever read it. */
export class Unroutable extends Error {
  constructor(readonly exchange: string, readonly topic: string) {
    super(`nothing takes the notifications of exchange ${exchange}, topic ${topic}: no queue is bound to it`);
  }
}

export type BrokerState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface QueueSpec {
  readonly name: string;
  /** exchange and AMQP binding key (`v03.INBOX.#`) pairs */
  readonly bindings: ReadonlyArray<{ readonly exchange: string; readonly topic: string }>;
  /** a queue unused this long is deleted by the broker (sr3 `expire`); 0 = never */
  readonly expireSeconds: number;
  /** messages older than this are dropped (sr3 `messageAgeMax`); 0 = never */
  readonly messageAgeMaxSeconds: number;
  /** sr3's queueDeclare and queueBind: off where the broker's administrator did it; on when absent */
  readonly declare?: boolean;
  readonly bind?: boolean;
  /** declare the exchanges bound to, when missing; on when absent. A subscribe leaves them to whoever posts (sr3). */
  readonly declareExchanges?: boolean;
}

/**
 * The broker refused an operation: a permission it does not give this user, or an exchange
 * that does not exist. `lasting`: it will not pass by itself (a permission).
 */
export class BrokerRefused extends UserError {
  constructor(message: string, readonly lasting: boolean) {
    super(message);
  }
}

/** How many dead letters a queue keeps, and for how long; the oldest go first. 0: no limit. */
export interface DeadLetterBounds {
  readonly maxCount: number;
  readonly maxAgeSeconds: number;
}

export const UNBOUNDED: DeadLetterBounds = { maxCount: 0, maxAgeSeconds: 0 };

export interface RawDelivery {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly topic: string;
  readonly exchange: string;
  /** delivered before and not acknowledged (its consumer died or gave it back) */
  readonly redelivered: boolean;
  ack(): Promise<void>;
  /** gives the message back to the queue for another try */
  requeue(): Promise<void>;
}

/** A body a queue's consumer set aside, as `sr deadletter` shows it. */
export interface DeadLetter {
  /** from its reason and bytes: the same on every listing, whichever broker keeps it */
  readonly id: string;
  readonly reason: string;
  /** when it was set aside, ISO; undefined where the broker did not keep it */
  readonly at: string | undefined;
  readonly body: Buffer;
}

export function deadLetterId(reason: string, body: Buffer): string {
  return crypto.createHash('sha256').update(reason).update('\u0000').update(body).digest('hex').slice(0, 10);
}

export interface Subscription {
  cancel(): Promise<void>;
}

export interface Broker {
  /** for logs and sr status: the URL without password */
  readonly label: string;
  readonly state: BrokerState;
  /** Resolves once connected; a broker opened not to persist rejects when it cannot connect. */
  ready(): Promise<void>;
  declareExchange(name: string): Promise<void>;
  declareQueue(spec: QueueSpec): Promise<void>;
  /**
   * Resolves once the broker has the message durably (publisher confirm / committed).
   * `mandatory`: a message no queue takes is refused with Unroutable (AMQP basic.return),
   * instead of being dropped by the broker as if delivered.
   */
  publish(exchange: string, topic: string, body: Buffer, contentType: string, mandatory?: boolean): Promise<void>;
  /** Delivers at most `prefetch` unacknowledged messages at a time; resumes after reconnects. */
  consume(queue: string, prefetch: number, onDelivery: (delivery: RawDelivery) => Promise<void>): Promise<Subscription>;
  /** Messages waiting in the queue (not counting those delivered and unacknowledged). */
  queueDepth(queue: string): Promise<number>;
  /** Puts a message straight into one queue, durably (sr quarantine retry): no exchange, so no other queue gets it. */
  sendToQueue(queue: string, body: Buffer, contentType: string): Promise<void>;
  /** Keeps a body that cannot be read where the user can inspect it, with why. */
  deadLetter(queue: string, body: Buffer, reason: string, bounds: DeadLetterBounds): Promise<void>;
  /** The queue's dead letters, oldest first; none when it never had any. */
  listDeadLetters(queue: string): Promise<DeadLetter[]>;
  /** For each dead letter named (every one with 'all'), runs `each`, then removes it; returns how many. A failing `each` leaves that one kept. */
  settleDeadLetters(queue: string, ids: readonly string[] | 'all', each: (letter: DeadLetter) => Promise<void>): Promise<number>;
  deleteQueue(queue: string): Promise<void>;
  /** What a poll on several hosts needs of its broker (components/poll/vip.ts); only a broker many hosts reach has it. */
  readonly shared?: SharedPollSupport;
  close(): Promise<void>;
}

export interface SharedPollSupport {
  /** Takes, or keeps, the lease named by `queue`, one holder at a time across every host; false while another holds it. */
  lease(queue: string): Promise<boolean>;
  /** Whether the lease taken is still held (its connection has not dropped). */
  holdsLease(): boolean;
  /** An append-only log kept by the broker (a RabbitMQ stream) of what the bindings route, for `retentionSeconds`. */
  declareLog(name: string, bindings: QueueSpec['bindings'], retentionSeconds: number): Promise<void>;
  /** Reads the log from its start, each record in order, until `onRecord` returns true or the subscription is cancelled. */
  readLog(name: string, onRecord: (body: Buffer) => boolean): Promise<void>;
}

/** Does a topic match an AMQP binding key (`v03.*.INBOX.#`): `*` is one word, `#` zero or more. */
export function topicMatches(bindingKey: string, topic: string): boolean {
  const pattern = bindingKey.split('.');
  const words = topic === '' ? [] : topic.split('.');
  const match = (p: number, w: number): boolean => {
    if (p === pattern.length) return w === words.length;
    const part = pattern[p];
    if (part === '#') return match(p + 1, w) || (w < words.length && match(p, w + 1));
    if (w === words.length) return false;
    return (part === '*' || part === words[w]) && match(p + 1, w + 1);
  };
  return match(0, 0);
}
