// A subscribe with `download off` (sr3): a relay. Each notification its accept/reject rules
// take is announced again on its post_broker, as it came but for the config's header lines
// and the topic prefix, and acknowledged once the broker confirmed it. Nothing is downloaded,
// written or done on the mail server: that is for the subscribes downstream.
import type { Broker } from '../../broker/broker.js';
import { consumeNotifications } from '../../broker/notifications.js';
import { postTarget, subscribeQueue } from '../../broker/topology.js';
import type { CredentialsStore } from '../../config/credentials.js';
import type { SrPaths } from '../../config/paths.js';
import { acceptingMaskLogged } from '../../flow/masks.js';
import { declareOnBroker, openBrokerLink, openPostBroker, reportBroker } from '../../instance/brokerLink.js';
import { type InstanceContext, StopSignal, type Worker } from '../../instance/runtime.js';
import { encodeNotification, V03_CONTENT_TYPE, withHeaders } from '../../message.js';
import { pairedTopics } from './pairing.js';
import { deadLetterBounds } from './settings.js';

/** The pause before announcing again what the post broker did not confirm. */
const RETRY_MS = 10_000;

/** The topic it came with, its first words (topicPrefix) replaced by post_topicPrefix. */
function forwardedTopic(topic: string, topicPrefix: string, postTopicPrefix: string): string {
  return topic === topicPrefix || topic.startsWith(`${topicPrefix}.`) ? `${postTopicPrefix}${topic.slice(topicPrefix.length)}` : topic;
}

export class ForwardWorker implements Worker {
  private readonly stopSignal = new StopSignal();

  constructor(private readonly paths: SrPaths, private readonly credentials: CredentialsStore) {}

  stop(): void {
    this.stopSignal.stop();
  }

  async run(context: InstanceContext): Promise<void> {
    const { config, logger } = context;
    const stop = this.stopSignal;
    const broker = await openBrokerLink(this.paths, this.credentials, context, config.str('broker'));
    // checkSubscribe refuses download off without post_broker.
    const post = postTarget(config)!;
    let postBroker: Broker | undefined;
    try {
      postBroker = await openPostBroker(this.paths, this.credentials, context, post, broker, config.str('broker'));
      const target = postBroker;
      if (await stop.until(broker.ready())) return;
      const queue = subscribeQueue(this.paths, config, pairedTopics(this.paths, config));
      if (await declareOnBroker(context, broker, stop, () => broker.declareQueue(queue))) return;
      if (await stop.until(target.ready())) return;
      if (config.flag('exchangeDeclare') && await declareOnBroker(context, target, stop, () => target.declareExchange(post.exchange))) return;
      logger.info(`download off: queue ${queue.name} bound to ${queue.bindings.map((b) => `${b.exchange} ${b.topic}`).join(', ')}; announcing again on ${post.exchange} of ${target.label}, nothing downloaded`);
      const topicPrefix = config.str('topicPrefix') ?? 'v03';
      const subscription = await consumeNotifications(broker, queue.name, config.number('prefetch'), logger, async (notification, delivery) => {
        const url = `${notification.baseUrl}${notification.relPath}`;
        if (!acceptingMaskLogged(config, url, context.events)) {
          context.count('rejected');
          await delivery.ack();
          context.handled();
          return;
        }
        const body = encodeNotification(withHeaders(notification, config.headers));
        const topic = forwardedTopic(delivery.topic, topicPrefix, post.topicPrefix);
        for (;;) {
          if (stop.stopped) return delivery.requeue();
          try {
            await target.publish(post.exchange, topic, body, V03_CONTENT_TYPE);
            break;
          } catch (error) {
            logger.warning(`${url}: not announced on ${post.exchange} (${(error as Error)?.message ?? String(error)}); trying again in ${RETRY_MS / 1000} s`);
            if (await stop.sleep(RETRY_MS)) return delivery.requeue();
          }
        }
        context.events('after_post', () => `${url}: announced again on ${post.exchange} ${topic}`);
        context.count('forwarded');
        await delivery.ack();
        context.handled();
      }, { bounds: deadLetterBounds(config), onDeadLetter: () => context.count('deadLetters') });
      do {
        try {
          reportBroker(context, broker, { queue: queue.name, depth: await broker.queueDepth(queue.name) });
        } catch {
          reportBroker(context, broker, { queue: queue.name });
        }
      } while (!(await stop.sleep(config.number('metrics_writeInterval') * 1000)));
      await subscription.cancel();
    } finally {
      if (postBroker && postBroker !== broker) await postBroker.close();
      await broker.close();
    }
  }
}
