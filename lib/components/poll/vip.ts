// sr3's vip for a poll on several hosts: only the host that holds the virtual address polls
// (`vip 192.0.2.10`), or, a mailpump spelling, the one holding a lease on the post broker
// (`vip broker`). The cursor moves with the poll through the broker (CursorLog): the host
// that takes over first reads what every host announced, and starts after the last message
// announced, whoever announced it: nothing is announced twice or passed over.
import crypto from 'node:crypto';
import os from 'node:os';
import type { Broker, SharedPollSupport } from '../../broker/broker.js';
import { brokerUser } from '../../broker/open.js';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../log/logger.js';
import { formatPubTime, parsePubTime, type Notification } from '../../message.js';
import { type CursorSnapshot, messageIdentity, type PollState } from '../../state/pollState.js';

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
    return this.broker.shared!.lease(this.queue);
  }

  holds(): boolean {
    return this.broker.shared!.holdsLease();
  }
}

/** Queue names of the lease and the cursor log: one per poll config, shared by its hosts (sr3's q_<user>.* permissions allow them). */
export function leaseQueue(config: Config): string {
  return `q_${brokerUser(config.str('post_broker'))}.poll.${config.id.name}.vip`;
}

export function cursorLogQueue(config: Config): string {
  return `q_${brokerUser(config.str('post_broker'))}.poll.${config.id.name}.cursor`;
}

export function activeRole(config: Config, broker: Broker): ActiveRole | undefined {
  const vip = config.list('vip');
  if (vip.length === 0) return undefined;
  return vip.includes(BROKER_LEASE) ? new LeaseRole(broker, leaseQueue(config)) : new AddressRole(vip);
}

/** How long the broker keeps the cursor log: a host taking over after all were down longer re-reads only what is left. */
const LOG_RETENTION_SECONDS = 7 * 86400;

/** Records of this poll's own, beside the announcements in the log. */
const MARKER_FIELD = 'mailpumpCursorMarker';
const SNAPSHOT_FIELD = 'mailpumpCursorSnapshot';

/**
 * The cursor shared by the hosts of a poll: a log the broker keeps (a RabbitMQ stream bound
 * to the poll's announcements, so a confirmed announcement is in it), with a snapshot of the
 * whole cursor added at each housekeeping. The host taking over reads it from the start and
 * moves its local cursor by every record, in order: an IMAP message moves its folder's
 * cursor past its UID (a new UIDVALIDITY starts the folder again), a POP3 one records its
 * UIDL. Moving a cursor is idempotent, so reading a host's own announcements changes nothing.
 */
export class CursorLog {
  applied = 0;

  constructor(private readonly broker: Broker, private readonly name: string, private readonly state: PollState, private readonly logger: Logger) {}

  private get shared(): SharedPollSupport {
    if (!this.broker.shared) throw new Error(`${this.broker.label} cannot share a poll between hosts`);
    return this.broker.shared;
  }

  async declare(exchange: string, topics: readonly string[]): Promise<void> {
    await this.shared.declareLog(this.name, topics.map((topic) => ({ exchange, topic })), LOG_RETENTION_SECONDS);
  }

  /** Reads the log up to now: a marker sent into it comes back after every record made before it. */
  async catchUp(): Promise<void> {
    const id = crypto.randomUUID();
    await this.send({ [MARKER_FIELD]: id });
    this.applied = 0;
    await this.shared.readLog(this.name, (body) => {
      const record = parseRecord(body);
      if (record === undefined) return false;
      if (record[MARKER_FIELD] === id) return true;
      try {
        this.apply(record);
      } catch (error) {
        // A record no cursor can take (a UID that is not one): passed over, said.
        this.logger.warning(`${this.name}: a record the cursor cannot take (${(error as Error)?.message ?? String(error)}); passed over`);
      }
      return false;
    });
  }

  /** The whole cursor, so that the log needs only what came after it. */
  async snapshot(): Promise<void> {
    await this.send({ [SNAPSHOT_FIELD]: this.state.snapshot() });
  }

  private async send(fields: Record<string, unknown>): Promise<void> {
    const record = { pubTime: formatPubTime(new Date()), baseUrl: 'mailpump:', relPath: this.name, ...fields };
    await this.broker.sendToQueue(this.name, Buffer.from(JSON.stringify(record)), 'application/json');
  }

  private apply(record: Record<string, unknown>): void {
    const snapshot = record[SNAPSHOT_FIELD];
    if (snapshot !== undefined) {
      this.state.applySnapshot(snapshot as CursorSnapshot);
    } else if (typeof record[MARKER_FIELD] === 'string') {
      return; // another host's catching up
    } else {
      const notification = record as unknown as Notification;
      const mail = notification.mail ?? {};
      const account = notification.baseUrl;
      if (typeof mail.uidl === 'string') {
        this.state.recordPop(account, mail.uidl);
      } else if (typeof mail.folder === 'string' && typeof mail.uid === 'number' && typeof mail.uidValidity === 'number') {
        const internalDate = typeof notification.mtime === 'string' ? parsePubTime(notification.mtime) : undefined;
        this.state.follow(account, mail.folder, mail.uidValidity, mail.uid, messageIdentity(typeof mail.messageId === 'string' ? mail.messageId : undefined, notification.size ?? 0, internalDate));
      } else {
        this.logger.warning(`${this.name}: a record that is not an announcement of this poll (${notification.baseUrl}${notification.relPath}); the cursor is not moved by it`);
        return;
      }
    }
    this.applied += 1;
  }
}

/** A record of the log as JSON, or undefined for one that is not (it is passed over). */
function parseRecord(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
