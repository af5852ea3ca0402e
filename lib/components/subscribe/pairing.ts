// Which mail a subscribe takes when its config says nothing of it (no subtopic line): the
// pairing rule. On one broker every poll announces on the same exchange by default
// (xpublic on the local broker, xs_<user> on RabbitMQ), so two poll/subscribe pairs
// copied from the examples each took both mailboxes' mail: one department's documents
// written into another's directory, the other's mail moved twice. So a subscribe takes
// only the mailboxes of the poll of its own name (subscribe/depta those of poll/depta),
// bound by the topic words that name each mailbox (`v03.<host>.<user>.#`). A subscribe
// without a poll of its name still takes everything, as in sr3, unless polls of several
// mailboxes announce where it reads: then `sr start` refuses it, with the lines to add.
import { sameBroker } from '../../broker/open.js';
import { postTarget, subscribeExchange } from '../../broker/topology.js';
import { userConfigs } from '../../config/catalog.js';
import { configLabel } from '../../config/components.js';
import { ConfigErrors } from '../../config/errors.js';
import { type Config, loadConfig } from '../../config/load.js';
import type { SrPaths } from '../../config/paths.js';
import { depotLocation, isDepotUrl } from '../../depot/location.js';
import { mailAccount } from '../../mail/account.js';
import { pollSourceLabel, pollSourceTopic } from '../pollSources.js';

/** Does the poll announce where the subscribe reads (same broker, same exchange)? */
function feeds(poll: Config, subscribe: Config): boolean {
  const post = postTarget(poll)!;
  return sameBroker(post.url, subscribe.str('broker')) && post.exchange === subscribeExchange(subscribe);
}

/** The topics of every mailbox a poll announces: `v03.mail.example.com.ingest.#`. */
function mailboxTopics(poll: Config): string[] {
  const prefix = postTarget(poll)!.topicPrefix;
  return poll.list('pollUrl').map((url) => `${prefix}.${pollSourceTopic(url)}.#`);
}

function readPoll(paths: SrPaths, name: string): Config | undefined {
  if (!userConfigs(paths).some((id) => id.component === 'poll' && id.name === name)) return undefined;
  try {
    return loadConfig(paths, { component: 'poll', name });
  } catch (error) {
    if (error instanceof ConfigErrors) return undefined; // its own start reports it
    throw error;
  }
}

/** The topics the subscribe is bound to by default: its paired poll's mailboxes, or none (every topic). */
export function pairedTopics(paths: SrPaths, subscribe: Config): string[] {
  if (subscribe.subtopics.length > 0) return [];
  const poll = readPoll(paths, subscribe.id.name);
  return poll && feeds(poll, subscribe) ? mailboxTopics(poll) : [];
}

/**
 * Why the subscribe would take mail meant for others, with the lines that fix it, or
 * undefined: no subtopic line, no poll of its name, and polls of two mailboxes or more
 * announcing where it reads.
 */
export function ambiguousPairing(paths: SrPaths, subscribe: Config): string | undefined {
  if (subscribe.subtopics.length > 0 || pairedTopics(paths, subscribe).length > 0) return undefined;
  const polls = userConfigs(paths).filter((id) => id.component === 'poll')
    .map((id) => readPoll(paths, id.name)).filter((poll): poll is Config => poll !== undefined && feeds(poll, subscribe));
  const mailboxes = new Map<string, string>();
  for (const poll of polls) {
    for (const url of poll.list('pollUrl')) mailboxes.set(pollSourceTopic(url), `${configLabel(poll.id)} ${pollSourceLabel(url)}`);
  }
  if (mailboxes.size < 2) return undefined;
  return `${subscribe.label} would take the mail of every mailbox announced on ${subscribeExchange(subscribe)}: ${[...mailboxes.values()].join(', ')}. `
    + `Name it after its poll (subscribe/<name> takes the mailboxes of poll/<name>), or add to ${subscribe.file} one line per mailbox it is for: `
    + [...mailboxes.keys()].map((words) => `"subtopic ${words}.#"`).join(' or ');
}

/**
 * The directories the polls of this host watch (pollUrl file:), by label: the only ones a
 * subscribe reads items from, whoever published the notification.
 */
export function watchedDirectories(paths: SrPaths): Set<string> {
  const polls = userConfigs(paths).filter((id) => id.component === 'poll').map((id) => readPoll(paths, id.name));
  return new Set(polls.flatMap((poll) => poll?.list('pollUrl').filter(isDepotUrl).map((url) => depotLocation(url).label) ?? []));
}

/**
 * A subscribe paired with a POP3 poll whose mailAction POP3 cannot do (seen, flag, move:
 * POP3 has no flags nor folders), said when the config is checked rather than failed per
 * message.
 */
export function actionPop3Cannot(paths: SrPaths, subscribe: Config): string | undefined {
  const action = subscribe.flag('delete') ? 'delete' : (subscribe.str('mailAction') ?? 'none').split(' ')[0];
  if (action === 'none' || action === 'delete') return undefined;
  const poll = subscribe.subtopics.length > 0 ? undefined : readPoll(paths, subscribe.id.name);
  const pop3 = poll && feeds(poll, subscribe) ? poll.list('pollUrl').find((url) => !isDepotUrl(url) && mailAccount(url).protocol === 'pop3') : undefined;
  if (!pop3) return undefined;
  return `${subscribe.label}: "mailAction ${subscribe.str('mailAction')}" cannot be done on ${mailAccount(pop3).label}, which poll/${subscribe.id.name} reads: POP3 has no flags nor folders; use mailAction none or delete`;
}

