// How long the oldest notification waiting for this instance has waited, for monitoring
// (mailpump_queue_oldest_age_seconds): a queue cannot be peeked without taking from it, so
// this is the age of the oldest notification in hand, or, while more wait in the queue, of the
// last one taken (the queue is first in, first out: what waits behind it was published
// later, so this never understates a stall).
import { type Notification, parsePubTime } from '../../message.js';

export class NotificationLag {
  private readonly inHand = new Map<symbol, number>();
  private lastTaken: number | undefined;

  /** A notification taken from the queue: the token is given back to `done`. */
  took(notification: Notification): symbol {
    const token = Symbol('notification');
    let published: number;
    try {
      published = parsePubTime(notification.pubTime).getTime();
    } catch {
      published = Date.now(); // no usable pubTime: counted from now, not as decades old
    }
    this.inHand.set(token, published);
    this.lastTaken = published;
    return token;
  }

  done(token: symbol): void {
    this.inHand.delete(token);
  }

  /** Seconds; 0 when nothing is in hand and the queue is empty. */
  ageSeconds(queueDepth: number, now = Date.now()): number {
    const oldestInHand = Math.min(...this.inHand.values());
    const oldest = Number.isFinite(oldestInHand) ? oldestInHand : queueDepth > 0 ? this.lastTaken : undefined;
    return oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000);
  }
}
