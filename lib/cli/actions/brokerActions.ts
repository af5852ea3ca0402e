// sr declare: create on the broker what configs use (exchanges, queues, bindings).
// sr cleanup: delete a config's queue and its run state. Unlike sr3 (sr3.md 1.3) cleanup
// refuses while the config runs and gives up with an error when the broker cannot be
// reached, instead of retrying forever.
import fs from 'node:fs';
import path from 'node:path';
import type { Broker, QueueSpec } from '../../broker/broker.js';
import { openBroker } from '../../broker/open.js';
import { keptQueueName, postTarget, subscribeQueue } from '../../broker/topology.js';
import { pairedTopics } from '../../components/subscribe/pairing.js';
import { cursorLogQueue, leaseQueue } from '../../components/poll/vip.js';
import type { CredentialsStore } from '../../config/credentials.js';
import { UserError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { type SrPaths, stateDir } from '../../config/paths.js';
import { isRunning } from '../../supervisor/status.js';
import { withProgress } from '../progress.js';
import { type CliContext, loadCredentials, loadSelectionStrict } from '../context.js';

/** Brokers opened by one command, one per URL, closed at its end. */
class BrokerSessions {
  private readonly open = new Map<string, Promise<Broker>>();

  constructor(private readonly paths: SrPaths, private readonly credentials: CredentialsStore) {}

  async get(url: string | undefined): Promise<Broker> {
    const key = url ?? 'local:';
    let broker = this.open.get(key);
    if (!broker) {
      broker = openBroker(url, { paths: this.paths, credentials: this.credentials, persistent: false }).then(async (opened) => {
        await opened.ready();
        return opened;
      });
      this.open.set(key, broker);
    }
    return broker;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.values()].map((broker) => broker.then((b) => b.close(), () => undefined)));
  }
}

async function withBrokers<T>(context: CliContext, work: (sessions: BrokerSessions) => Promise<T>): Promise<T> {
  const sessions = new BrokerSessions(context.paths, loadCredentials(context));
  try {
    return await work(sessions);
  } finally {
    await sessions.closeAll();
  }
}

/** Declares a subscribe's queue, with its bindings, on the broker it reads. */
async function declareQueueOf(context: CliContext, sessions: BrokerSessions, config: Config): Promise<{ broker: Broker; queue: QueueSpec }> {
  const broker = await sessions.get(config.str('broker'));
  const queue = subscribeQueue(context.paths, config, pairedTopics(context.paths, config));
  await broker.declareQueue(queue);
  return { broker, queue };
}

/**
 * What a config declares, exchanges first: a subscribe binds to the exchange its poll posts
 * to and declares none itself (sr3), so the exchanges of all the configs come before any
 * queue. What the broker refuses is said, config by config; the others go on.
 */
async function declareAll(context: CliContext, sessions: BrokerSessions, configs: readonly Config[], said: (config: Config, line: string) => void, refused: (config: Config, error: Error) => void): Promise<void> {
  const attempt = async (config: Config, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      refused(config, error instanceof Error ? error : new Error(String(error)));
    }
  };
  for (const config of configs) {
    const post = postTarget(config);
    if (!post || !config.flag('exchangeDeclare')) continue;
    await attempt(config, async () => {
      const broker = await sessions.get(post.url);
      await broker.declareExchange(post.exchange);
      said(config, `exchange ${post.exchange} on ${broker.label}`);
    });
  }
  for (const config of configs.filter((one) => one.id.component === 'subscribe')) {
    await attempt(config, async () => {
      const { broker, queue } = await declareQueueOf(context, sessions, config);
      said(config, `queue ${queue.name} on ${broker.label}, bound to ${queue.bindings.map((b) => `${b.exchange} ${b.topic}`).join(', ')}`);
    });
  }
}

export async function declareAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  const configs = loadSelectionStrict(context, selectors);
  let failures = 0;
  // One step per exchange a config declares and per subscribe's queue, as declareAll goes.
  const steps = configs.filter((config) => postTarget(config) && config.flag('exchangeDeclare')).length
    + configs.filter((config) => config.id.component === 'subscribe').length;
  await withProgress(context, 'declare', steps, (progress) => withBrokers(context, (sessions) => declareAll(context, sessions, configs,
    (config, line) => {
      progress.step(config.label);
      progress.say(`declare: ${config.label}: ${line}`);
    },
    (config, error) => {
      failures += 1;
      progress.step(config.label);
      progress.say(`declare: ${config.label}: ${error.message}`, true);
    })));
  return failures > 0 ? 1 : 0;
}

/**
 * sr start: the exchanges and queues of the configs about to start are declared first, so
 * that what a poll started in the same command announces is queued even before the
 * subscribe's instances are up. What cannot be declared now (a broker not reachable, a
 * refusal) is left to the instances, which try until it is done; sr start says so.
 * True when everything was declared.
 */
export async function declareBeforeStart(context: CliContext, configs: readonly Config[]): Promise<boolean> {
  if (!configs.some((config) => config.id.component === 'subscribe')) return true;
  let declared = true;
  await withBrokers(context, (sessions) => declareAll(context, sessions, configs, () => undefined, (config, error) => {
    declared = false;
    context.err(`start: ${config.label}: ${error.message}; its instances will try again once started`);
  }));
  return declared;
}

/** Deletes the config's queue (if it ever had one) and its state files, keeping the disabled marker. */
export async function cleanupConfig(context: CliContext, sessions: BrokerSessions, config: Config): Promise<void> {
  const queue = config.id.component === 'subscribe' ? keptQueueName(context.paths, config) : undefined;
  if (queue !== undefined) {
    const broker = await sessions.get(config.str('broker'));
    await broker.deleteQueue(queue);
    context.out(`cleanup: ${config.label}: queue ${queue} deleted on ${broker.label}`);
  }
  // A poll on several hosts: its lease and cursor log are shared by them, and go with the config.
  if (config.id.component === 'poll' && config.list('vip').length > 0) {
    const broker = await sessions.get(config.str('post_broker'));
    for (const queue of [leaseQueue(config), cursorLogQueue(config)]) {
      await broker.deleteQueue(queue);
      context.out(`cleanup: ${config.label}: vip queue ${queue} deleted on ${broker.label} (every host of this poll shared it)`);
    }
  }
  const dir = stateDir(context.paths, config.id);
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (name === 'disabled') continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    context.out(`cleanup: removing state file: ${path.join(dir, name)}`);
  }
}

/** Refuses while any selected config runs, and more than one without --dangerWillRobinson=<count>. */
export function guardDestructive(context: CliContext, action: string, configs: readonly Config[], danger: number | undefined): void {
  if (configs.length > 1 && danger !== configs.length) {
    throw new UserError(`sr ${action} would ${action} ${configs.length} configs (${configs.map((c) => c.label).join(', ')}); to confirm, add --dangerWillRobinson=${configs.length}`);
  }
  const running = configs.filter((config) => isRunning(context.paths, config.id));
  if (running.length > 0) throw new UserError(`cannot ${action} ${running.map((c) => c.label).join(', ')} while it is running: sr stop it first`);
}

export async function cleanupAction(context: CliContext, selectors: readonly string[], danger: number | undefined): Promise<number> {
  const configs = loadSelectionStrict(context, selectors);
  guardDestructive(context, 'cleanup', configs, danger);
  await withProgress(context, 'cleanup', configs.length, (progress) => withBrokers(context, async (sessions) => {
    for (const config of configs) {
      progress.step(config.label);
      await cleanupConfig({ ...context, out: (line) => progress.say(line) }, sessions, config);
    }
  }));
  return 0;
}

export async function removeConfigs(context: CliContext, configs: readonly Config[], remove: (config: Config) => void): Promise<void> {
  await withBrokers(context, async (sessions) => {
    for (const config of configs) {
      await cleanupConfig(context, sessions, config);
      remove(config);
    }
  });
}
