// What the IMAP and the POP3 poll do alike with the messages of a pass: the accept/reject
// rules, then publishing the batch at once and recording, in order, each message whose
// notification the broker confirmed, up to the first one it did not. A message is never
// skipped; at worst announced again.
import { acceptingMaskLogged } from '../../flow/masks.js';
import type { Notification } from '../../message.js';
import type { PollContext } from './mailboxPoll.js';

/**
 * What nodupe_ttl knows a message by: its Message-ID and size; undefined without nodupe_ttl,
 * and for mail without a Message-ID, which is never taken for another.
 */
function nodupeKey(poll: PollContext, notification: Notification): string | undefined {
  const messageId = notification.mail?.messageId;
  if (poll.config.number('nodupe_ttl') <= 0 || typeof messageId !== 'string' || messageId === '') return undefined;
  return `${messageId}\u0000${notification.size ?? ''}`;
}

/**
 * The notification if the config's accept/reject rules take it and, with nodupe_ttl, the
 * same mail was not announced from the account within it (sr3's order: masks, then nodupe).
 * `pending`: keys of this pass's messages not announced yet, so two copies in one pass are one.
 */
export function acceptedNotification(poll: PollContext, notification: Notification, pending: Set<string>): Notification | undefined {
  const url = `${notification.baseUrl}${notification.relPath}`;
  if (!acceptingMaskLogged(poll.config, url, poll.events)) return undefined;
  const key = nodupeKey(poll, notification);
  if (key !== undefined) {
    if (pending.has(key) || poll.state.announcedWithin(notification.baseUrl, key, poll.config.number('nodupe_ttl'))) {
      poll.events('nodupe', () => `${url}: ${notification.mail?.messageId} was announced from this account within nodupe_ttl: passed over`);
      poll.count('duplicates');
      return undefined;
    }
    pending.add(key);
  }
  poll.events('after_accept', () => `accepted: ${url} ${notification.mail?.messageId ?? '(no Message-ID)'}, ${notification.size ?? '?'} bytes`);
  return notification;
}

/** Where the first refusal is: the steps before it are recorded, it and those after are not. */
function firstRejected(confirmations: readonly PromiseSettledResult<unknown>[]): number {
  const index = confirmations.findIndex((confirmation) => confirmation.status === 'rejected');
  return index < 0 ? confirmations.length : index;
}

/** Publishes the steps' notifications, then calls `record` for each step in order; returns how many were announced. */
export async function announceInOrder<Step extends { readonly notification: Notification | undefined }>(
  poll: PollContext,
  steps: readonly Step[],
  record: (step: Step) => void,
): Promise<number> {
  const confirmations = await Promise.allSettled(steps.map((step) => (step.notification ? poll.announce(step.notification) : Promise.resolve())));
  const confirmed = steps.slice(0, firstRejected(confirmations));
  poll.state.together(() => {
    for (const step of confirmed) {
      record(step);
      const key = step.notification && nodupeKey(poll, step.notification);
      if (key !== undefined) poll.state.rememberAnnounced(step.notification!.baseUrl, key);
    }
  });
  let announced = 0;
  for (const { notification } of confirmed) {
    if (notification) {
      announced += 1;
      poll.events('after_post', () => `announced ${notification.baseUrl}${notification.relPath} ${notification.mail?.messageId ?? '(no Message-ID)'}, ${notification.size ?? '?'} bytes`);
    } else {
      poll.count('skipped');
    }
  }
  if (confirmed.length < steps.length) throw (confirmations[confirmed.length] as PromiseRejectedResult).reason;
  poll.count('announced', announced);
  poll.handled(announced);
  return announced;
}
