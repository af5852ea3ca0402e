// What the poll worker and the IMAP and POP3 polls of its mailboxes share: the contract of
// one mailbox's pass, and what a pass may use of the poll around it.
import type { SearchObject } from 'imapflow';
import type { Config } from '../../config/load.js';
import type { EventLog } from '../../flow/logEvents.js';
import type { Logger } from '../../log/logger.js';
import type { Notification } from '../../message.js';
import type { PollState } from '../../state/pollState.js';

/** One source of a poll: an IMAP or POP3 mailbox, or a watched directory (directoryPoll.ts). */
export interface MailboxPoll {
  /** its URL without password: its name in logs, state, notifications and sr status */
  readonly label: string;
  pass(): Promise<PassResult>;
  close(): Promise<void>;
}

export interface PassResult {
  readonly announced: number;
  /** messages found new but left for the next pass (batch) */
  readonly remaining: number;
  /** messages the pass got through (announced, or passed over by the filters) */
  readonly handled: number;
}

export interface PollContext {
  readonly config: Config;
  readonly state: PollState;
  readonly logger: Logger;
  /** logEvents: after_accept, after_post and reject lines */
  readonly events: EventLog;
  readonly search: SearchObject | undefined;
  /** publishes a notification; resolves once the broker confirmed it */
  readonly announce: (notification: Notification) => Promise<void>;
  /** true once a stop was asked: the pass ends after the message in hand */
  readonly stopping: () => boolean;
  readonly count: (counter: string, amount?: number) => void;
  /** notifications announced, for messageCountMax */
  readonly handled: (amount: number) => void;
}
