// What the IMAP and the POP3 poll do alike with the messages of a pass: the accept/reject
// rules, then publishing the batch at once and recording, in order, each message whose
// notification the broker confirmed, up to the first one it did not. A message is never
// skipped; at worst announced again.
import { acceptingMaskLogged } from '../../flow/masks.js';
import { debugLines } from '../../log/logger.js';
import type { Notification } from '../../message.js';
import type { PollContext } from './mailboxPoll.js';

/** The notification if the config's accept/reject rules take it, else undefined. */
export function acceptedNotification(poll: PollContext, notification: Notification): Notification | undefined {
  return acceptingMaskLogged(poll.config, `${notification.baseUrl}${notification.relPath}`, poll.logger) ? notification : undefined;
}

/** Publishes the steps' notifications, then calls `record` for each step in order; returns how many were announced. */
export async function announceInOrder<Step extends { readonly notification: Notification | undefined }>(
  poll: PollContext,
  steps: readonly Step[],
  record: (step: Step) => void,
): Promise<number> {
  const confirmations = await Promise.allSettled(steps.map((step) => (step.notification ? poll.announce(step.notification) : Promise.resolve())));
  let announced = 0;
  const debug = debugLines(poll.logger);
  for (const [index, step] of steps.entries()) {
    const confirmation = confirmations[index]!;
    if (confirmation.status === 'rejected') throw confirmation.reason;
    record(step);
    if (step.notification) {
      announced += 1;
      debug?.(`announced ${step.notification.baseUrl}${step.notification.relPath} ${step.notification.mail?.messageId ?? '(no Message-ID)'}, ${step.notification.size ?? '?'} bytes`);
    } else {
      poll.count('skipped');
    }
  }
  poll.count('announced', announced);
  poll.handled(announced);
  return announced;
}
