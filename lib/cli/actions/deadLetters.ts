// sr deadletter list|retry|drop: the notifications a subscribe could not read or that were
// not mail (kept by its broker beside its queue, bounded by deadLetterMax / deadLetterAge),
// as sr quarantine does for messages: listed with why, sent into the subscribe's own queue
// again once the cause is fixed (a reject line, a poll fixed upstream), or dropped.
import type { Broker } from '../../broker/broker.js';
import { openBroker } from '../../broker/open.js';
import { keptQueueName } from '../../broker/topology.js';
import { UserError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { excerpt, V03_CONTENT_TYPE } from '../../message.js';
import { type CliContext, loadCredentials, selectedSubscribes } from '../context.js';
import { table } from '../format.js';

function subscribes(context: CliContext, selectors: readonly string[]): Config[] {
  return selectedSubscribes(context, selectors, 'sr deadletter', 'dead letters are a subscribe queue\'s');
}

/** Runs `work` with the config's queue and broker; a config that never declared its queue has none. */
async function withQueue<T>(context: CliContext, config: Config, work: (broker: Broker, queue: string) => Promise<T>): Promise<T | undefined> {
  const queue = keptQueueName(context.paths, config);
  if (queue === undefined) return undefined;
  const broker = await openBroker(config.str('broker'), { paths: context.paths, credentials: loadCredentials(context), persistent: false });
  try {
    await broker.ready();
    return await work(broker, queue);
  } finally {
    await broker.close();
  }
}

export async function deadLetterListAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  const rows: string[][] = [];
  for (const config of subscribes(context, selectors)) {
    const letters = await withQueue(context, config, (broker, queue) => broker.listDeadLetters(queue)) ?? [];
    for (const letter of letters) rows.push([config.label, letter.id, letter.at ?? '?', letter.reason, excerpt(letter.body, 60)]);
  }
  if (rows.length === 0) {
    context.out('no dead letters');
    return 0;
  }
  for (const line of table(['Config', 'Id', 'When', 'Why', 'Body'], rows)) context.out(line);
  return 0;
}

async function settle(context: CliContext, selector: string, ids: readonly string[], verb: 'retry' | 'drop'): Promise<number> {
  const wanted = ids.length === 1 && ids[0] === 'all' ? 'all' : ids;
  let settled = 0;
  for (const config of subscribes(context, [selector])) {
    const count = await withQueue(context, config, (broker, queue) => broker.settleDeadLetters(queue, wanted, async (letter) => {
      if (verb === 'retry') await broker.sendToQueue(queue, letter.body, V03_CONTENT_TYPE);
      context.out(`deadletter: ${config.label}: ${letter.id} ${verb === 'retry' ? `sent into ${queue} again; set aside again if it still cannot be taken` : 'dropped'}`);
    }));
    if (count === undefined) throw new UserError(`sr deadletter: ${config.label} has no queue yet, so no dead letters`);
    settled += count;
  }
  if (wanted === 'all') {
    if (settled === 0) context.out('no dead letters');
    return 0;
  }
  if (settled < wanted.length) {
    context.err(`sr deadletter ${verb}: ${wanted.length - settled} of the ids given are not dead letters of ${selector} (sr deadletter list ${selector} shows them)`);
    return 1;
  }
  return 0;
}

export function deadLetterRetryAction(context: CliContext, selector: string, ids: readonly string[]): Promise<number> {
  return settle(context, selector, ids, 'retry');
}

export function deadLetterDropAction(context: CliContext, selector: string, ids: readonly string[]): Promise<number> {
  return settle(context, selector, ids, 'drop');
}
