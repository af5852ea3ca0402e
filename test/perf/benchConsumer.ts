// A benchmark consumer process: acks every delivery, prints "ready", then "acked N" (its
// running total) every 10 ms while it changes.
//   node benchConsumer.js '<target json>' <queue> <prefetch>
import { openTarget, type BrokerTarget } from '../helpers/brokerTarget.js';

const [targetJson = '', queue = '', prefetchText = '25'] = process.argv.slice(2);
const broker = await openTarget(JSON.parse(targetJson) as BrokerTarget);
let acked = 0;
await broker.consume(queue, Number(prefetchText), async (delivery) => {
  await delivery.ack();
  acked += 1;
});
let reported = 0;
setInterval(() => {
  if (acked === reported) return;
  reported = acked;
  process.stdout.write(`acked ${acked}\n`);
}, 10);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void broker.close().then(() => process.exit(0)));
