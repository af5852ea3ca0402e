// sr3's vip for a poll on several hosts: only the host that holds the virtual address polls
// (`vip 192.0.2.10`), or, a mailpump spelling, the one holding a lease on the post broker
// (`vip broker`). Every host follows the cursor through the broker: each keeps a queue of
// its own bound to the poll's announcements and moves its local cursor by them, so the host
// that takes over starts exactly after the last message announced, whoever announced it,
// and announces nothing twice. Before its first pass it catches up: a marker sent into its
// queue comes back after every announcement made before it (a queue keeps order).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Broker, Subscription } from '../../broker/broker.js';
import { consumeNotifications } from '../../broker/notifications.js';
import { brokerUser } from '../../broker/open.js';
import type { Config } from '../../config/load.js';
import { type SrPaths, stateDir } from '../../config/paths.js';
import type { Logger } from '../../log/logger.js';
import { parsePubTime, type Notification } from '../../message.js';
import { messageIdentity, type PollState } from '../../state/pollState.js';

/** The vip word for the broker's lease: an address never spells it. */
export const BROKER_LEASE = 'broker';

/** Who may poll now: the host holding an address of `vip`, or the broker's lease. */
export interface ActiveRole {
  /** What this host waits for while another polls, for the log and sr status. */
  readonly waitingFor: string;
  /** Whether this host may poll now (takes the lease when it is free). */
  mayPoll(): Promise<boolean>;
  /** Checked before each announcement: still this host's turn. */
  holds(): boolean;
}

/** Whether this host has one of the addresses on an interface now. */
export function holdsAddress(addresses: readonly string[], interfaces = os.networkInterfaces()): boolean {
  const local = new Set(Object.values(interfaces).flatMap((entries) => (entries ?? []).map((entry) => entry.address)));
  return addresses.some((address) => local.has(address));
}

class AddressRole implements ActiveRole {
  constructor(private readonly addresses: readonly string[]) {}

  get waitingFor(): string {
    return `vip ${this.addresses.join(', ')}: another host holds it`;
  }

  async mayPoll(): Promise<boolean> {
    return this.holds();
  }

  holds(): boolean {
    return holdsAddress(this.addresses);
  }
}

class LeaseRole implements ActiveRole {
  constructor(private readonly broker: Broker, private readonly queue: string) {}

  get waitingFor(): string {
    return `vip broker: another host holds the lease ${this.queue} on ${this.broker.label}`;
  }

  async mayPoll(): Promise<boolean> {
    return this.broker.lease!(this.queue);
  }

  holds(): boolean {
    return this.broker.holdsLease!();
  }
}

/** The queue name of the lease: one per poll config, shared by its hosts (sr3's q_<user>.* permissions allow it). */
export function leaseQueue(config: Config): string {
  return `q_${brokerUser(config.str('post_broker'))}.poll.${config.id.name}.vip`;
}

/** This host's queue of the poll's announcements: chosen once, kept in the state directory as a subscribe's queue is. */
export function followQueue(paths: SrPaths, config: Config): string {
  const file = path.join(stateDir(paths, config.id), 'vip_queue_name');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    // none kept yet
  }
  const share = `${os.userInfo().username}_${os.hostname()}_${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`;
  const name = `q_${brokerUser(config.str('post_broker'))}.poll.${config.id.name}.${share}.cursor`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, name);
  return name;
}

export function activeRole(config: Config, broker: Broker): ActiveRole | undefined {
  const vip = config.list('vip');
  if (vip.length === 0) return undefined;
  return vip.includes(BROKER_LEASE) ? new LeaseRole(broker, leaseQueue(config)) : new AddressRole(vip);
}

/** A marker this host sends into its own queue to know it has applied everything before it. */
const MARKER_FIELD = 'mailpumpCursorMarker';

/**
 * Moves the local cursor by the poll's announcements as the broker hands them over: an IMAP
 * message moves its folder's cursor past its UID (a new UIDVALIDITY starts the folder again),
 * a POP3 one records its UIDL. Moving a cursor is idempotent: a host's own announcements
 * coming back change nothing.
 */
export class CursorFollower {
  private subscription: Subscription | undefined;
  private readonly markers = new Map<string, () => void>();
  applied = 0;

  constructor(private readonly broker: Broker, private readonly queue: string, private readonly state: PollState, private readonly logger: Logger) {}

  /** The queue never expires: a host down for long must still find every announcement made meanwhile (sr cleanup removes it). */
  async start(exchange: string, topics: readonly string[]): Promise<void> {
    await this.broker.declareQueue({ name: this.queue, bindings: topics.map((topic) => ({ exchange, topic })), expireSeconds: 0, messageAgeMaxSeconds: 0 });
    this.subscription = await consumeNotifications(this.broker, this.queue, 100, this.logger, async (notification, delivery) => {
      const marker = (notification as unknown as Record<string, unknown>)[MARKER_FIELD];
      if (typeof marker === 'string') this.markers.get(marker)?.();
      else this.apply(notification);
      await delivery.ack();
    });
  }

  /** Resolves once every announcement the broker had before now is applied. */
  async catchUp(): Promise<void> {
    const id = crypto.randomUUID();
    const seen = new Promise<void>((resolve) => this.markers.set(id, resolve));
    const marker = { pubTime: '20000101T000000', baseUrl: 'mailpump:', relPath: 'cursor-marker', [MARKER_FIELD]: id };
    await this.broker.sendToQueue(this.queue, Buffer.from(JSON.stringify(marker)), 'application/json');
    await seen;
    this.markers.delete(id);
  }

  private apply(notification: Notification): void {
    const mail = notification.mail ?? {};
    const account = notification.baseUrl;
    if (typeof mail.uidl === 'string') {
      this.state.recordPop(account, mail.uidl);
    } else if (typeof mail.folder === 'string' && typeof mail.uid === 'number' && typeof mail.uidValidity === 'number') {
      const cursor = this.state.cursor(account, mail.folder);
      if (cursor === undefined || cursor.uidValidity !== mail.uidValidity) this.state.resetCursor(account, mail.folder, mail.uidValidity, 0);
      const internalDate = notification.mtime ? parsePubTime(notification.mtime) : undefined;
      this.state.advance(account, mail.folder, mail.uid, messageIdentity(typeof mail.messageId === 'string' ? mail.messageId : undefined, notification.size ?? 0, internalDate));
    } else {
      this.logger.warning(`${this.queue}: ${account}${notification.relPath} is not a mail announcement of this poll; the cursor is not moved by it`);
      return;
    }
    this.applied += 1;
  }

  async stop(): Promise<void> {
    await this.subscription?.cancel();
  }
}
