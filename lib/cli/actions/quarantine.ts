// sr quarantine list|retry|drop: the messages a subscribe set aside (subscribe/quarantine.ts),
// each a `<id>.reason.txt` (where from, Message-ID, when and why, the notification) with,
// when it could be downloaded, `<id>.eml`. retry sends the notification straight into the
// subscribe's own queue once the cause is fixed, after forgetting that the message was done;
// drop removes the files. The message on the server stays as the quarantine left it.
import fs from 'node:fs';
import path from 'node:path';
import { openBroker } from '../../broker/open.js';
import { keptQueueName } from '../../broker/topology.js';
import { mailMessageRef } from '../../components/subscribe/mailNotification.js';
import { NOTIFICATION_LINE, REASON_SUFFIX, removeQuarantined } from '../../components/subscribe/quarantine.js';
import { quarantineDirectory } from '../../components/subscribe/settings.js';
import { UserError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { stateDir } from '../../config/paths.js';
import { decodeNotification, MalformedMessage, type Notification, V03_CONTENT_TYPE, encodeNotification } from '../../message.js';
import { SubscribeState } from '../../state/subscribeState.js';
import { withProgress } from '../progress.js';
import { type CliContext, loadCredentials, selectedSubscribes } from '../context.js';
import { table } from '../format.js';

interface Entry {
  readonly id: string;
  readonly directory: string;
  readonly where: string;
  readonly messageId: string;
  readonly when: string;
  readonly why: string;
  /** undefined: quarantined by a version that did not keep it, or the line is damaged */
  readonly notification: Notification | undefined;
}

function readEntry(directory: string, file: string): Entry {
  const [where = '?', idLine = '', whenWhy = '', ...rest] = fs.readFileSync(path.join(directory, file), 'utf8').split('\n');
  const space = whenWhy.indexOf(' ');
  const kept = rest.find((line) => line.startsWith(NOTIFICATION_LINE));
  let notification: Notification | undefined;
  try {
    notification = kept ? decodeNotification(Buffer.from(kept.slice(NOTIFICATION_LINE.length)), V03_CONTENT_TYPE) : undefined;
  } catch (error) {
    if (!(error instanceof MalformedMessage)) throw error;
  }
  return {
    id: file.slice(0, -REASON_SUFFIX.length), directory, where, messageId: idLine.replace(/^Message-ID: /, ''),
    when: space > 0 ? whenWhy.slice(0, space) : whenWhy, why: space > 0 ? whenWhy.slice(space + 1) : '', notification,
  };
}

function entriesOf(context: CliContext, config: Config): Entry[] {
  const directory = quarantineDirectory(config, context.paths);
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory).filter((name) => name.endsWith(REASON_SUFFIX)).sort().map((name) => readEntry(directory, name));
}

function subscribes(context: CliContext, selectors: readonly string[]): Config[] {
  return selectedSubscribes(context, selectors, 'sr quarantine', 'quarantine is a subscribe\'s');
}

/** The entries named (or all of them), each id checked. */
function chosen(context: CliContext, config: Config, ids: readonly string[]): Entry[] {
  const entries = entriesOf(context, config);
  if (ids.length === 1 && ids[0] === 'all') return entries;
  return ids.map((id) => {
    const entry = entries.find((candidate) => candidate.id === id);
    if (!entry) throw new UserError(`sr quarantine: ${config.label} has no quarantined message "${id}" (sr quarantine list ${config.label} shows them)`);
    return entry;
  });
}

function removeFiles(entry: Entry): void {
  removeQuarantined(entry.directory, entry.id);
}

export function quarantineListAction(context: CliContext, selectors: readonly string[]): number {
  const rows = subscribes(context, selectors).flatMap((config) => entriesOf(context, config).map((entry) => [
    config.label, entry.id, entry.when, entry.why, entry.messageId, fs.existsSync(path.join(entry.directory, `${entry.id}.eml`)) ? 'yes' : 'no',
  ]));
  if (rows.length === 0) {
    context.out('nothing quarantined');
    return 0;
  }
  for (const line of table(['Config', 'Id', 'When', 'Why', 'Message-ID', '.eml'], rows)) context.out(line);
  return 0;
}

export function quarantineDropAction(context: CliContext, selector: string, ids: readonly string[]): number {
  for (const config of subscribes(context, [selector])) {
    for (const entry of chosen(context, config, ids)) {
      removeFiles(entry);
      context.out(`quarantine: ${config.label}: ${entry.id} dropped (the message stays on the server as the quarantine left it)`);
    }
  }
  return 0;
}

export async function quarantineRetryAction(context: CliContext, selector: string, ids: readonly string[]): Promise<number> {
  const credentials = loadCredentials(context);
  let failed = 0;
  for (const config of subscribes(context, [selector])) {
    const entries = chosen(context, config, ids);
    if (entries.length === 0) continue;
    const folder = config.str('quarantineFolder');
    if (folder) {
      throw new UserError(`sr quarantine retry: ${config.label} moved its quarantined mail to the folder ${folder}, so its notifications name UIDs that are no longer there: `
        + `move the messages back on the server and the poll announces them again`);
    }
    const queue = keptQueueName(context.paths, config);
    if (queue === undefined) throw new UserError(`sr quarantine retry: ${config.label} has no queue yet (sr declare ${config.label})`);
    const state = SubscribeState.open(path.join(stateDir(context.paths, config.id), 'subscribe.sqlite'));
    const broker = await openBroker(config.str('broker'), { paths: context.paths, credentials, persistent: false });
    try {
      await broker.ready();
      await withProgress(context, `quarantine retry ${config.label}`, entries.length, async (progress) => {
        for (const entry of entries) {
          progress.step(entry.id);
          if (!entry.notification) {
            failed += 1;
            progress.say(`quarantine: ${config.label}: ${entry.id} keeps no notification (quarantined by an older mailpump): the poll announces it again if it is moved back into its folder`, true);
            continue;
          }
          // Forgotten first: sent again while still marked done, it would be "ingested before".
          state.forget(mailMessageRef(entry.notification).serverKey);
          await broker.sendToQueue(queue, encodeNotification(entry.notification), V03_CONTENT_TYPE);
          removeFiles(entry);
          progress.say(`quarantine: ${config.label}: ${entry.id} sent through again (queue ${queue}); it is quarantined again if it still fails`);
        }
      });
    } finally {
      await broker.close();
      state.close();
    }
  }
  return failed > 0 ? 1 : 0;
}
