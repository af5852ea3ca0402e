// sr3's names and bindings (sr3.md 5.4) for a config: which exchange a subscribe binds,
// which queue it shares, where a config announces. The queue name is chosen once and kept
// in the config's state directory, so restarts and every instance use the same queue.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/load.js';
import { type SrPaths, stateDir } from '../config/paths.js';
import type { QueueSpec } from './broker.js';
import { brokerUser } from './open.js';

export interface PostTarget {
  /** undefined: the local broker */
  readonly url: string | undefined;
  readonly exchange: string;
  readonly topicPrefix: string;
}

/**
 * sr3: `xs_<user>` for a named broker user, `xpublic` for anonymous (and so for the local
 * broker); with a suffix (exchangeSuffix), `xs_<user>_<suffix>` whoever the user.
 */
export function defaultExchange(url: string | undefined, suffix?: string): string {
  const user = brokerUser(url);
  if (suffix) return `xs_${user}_${suffix}`;
  return user === 'anonymous' ? 'xpublic' : `xs_${user}`;
}

export function queueNameFile(paths: SrPaths, config: Config): string {
  return path.join(stateDir(paths, config.id), 'queue_name');
}

/** The queue name the config chose at its first start or declare; undefined while it has none. */
export function keptQueueName(paths: SrPaths, config: Config): string | undefined {
  try {
    return fs.readFileSync(queueNameFile(paths, config), 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The queue of a subscribe: `queueName` when the config sets it, else the name kept from
 * the first start, else a new `q_<user>.<component>.<config>.<share>`, kept at once. Several
 * instances starting together agree: the first to create the file wins, the others read it.
 */
export function queueName(paths: SrPaths, config: Config): string {
  const file = queueNameFile(paths, config);
  const written = config.str('queueName');
  if (written) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, written);
    return written;
  }
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    // none kept yet
  }
  const share = config.str('queueShare') ?? `${os.userInfo().username}_${os.hostname()}_${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`;
  const name = `q_${brokerUser(config.str('broker'))}.${config.id.component}.${config.id.name}.${share}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, name, { flag: 'wx' });
    return name;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fs.readFileSync(file, 'utf8').trim();
  }
}

/** The exchange a subscribe reads when no subtopic line names another. */
export function subscribeExchange(config: Config): string {
  return config.str('exchange') ?? defaultExchange(config.str('broker'), config.str('exchangeSuffix'));
}

/**
 * The queue a subscribe reads, bound by its subtopic lines, else by `defaultTopics` (the
 * mailboxes of its paired poll, components/subscribe/pairing.ts), else to every topic.
 */
export function subscribeQueue(paths: SrPaths, config: Config, defaultTopics: readonly string[] = []): QueueSpec {
  const exchange = subscribeExchange(config);
  const topics = defaultTopics.length > 0 ? defaultTopics : [`${config.str('topicPrefix')}.#`];
  const bindings = config.subtopics.length > 0
    ? config.subtopics.map((binding) => ({ exchange: binding.exchange ?? exchange, topic: `${binding.topicPrefix}.${binding.subtopic}` }))
    : topics.map((topic) => ({ exchange, topic }));
  return {
    name: queueName(paths, config),
    bindings,
    expireSeconds: config.number('expire'),
    messageAgeMaxSeconds: config.number('messageAgeMax'),
    declare: config.flag('queueDeclare'),
    bind: config.flag('queueBind'),
    // sr3: the exchange a subscribe reads is declared by whoever posts to it, never by the
    // subscribe (an sr3 subscriber may configure only q_<user>.*).
    declareExchanges: false,
  };
}

/** Where a config announces: a poll always (the local broker by default), a subscribe only with post_broker. */
export function postTarget(config: Config): PostTarget | undefined {
  const url = config.str('post_broker');
  if (config.id.component === 'subscribe' && url === undefined) return undefined;
  return {
    url,
    exchange: config.str('post_exchange') ?? defaultExchange(url, config.str('post_exchangeSuffix')),
    topicPrefix: config.str('post_topicPrefix') ?? config.str('topicPrefix') ?? 'v03',
  };
}
