// A consumer in a process of its own, for tests that need several or kill one:
//   node consumerProcess.js '<target json>' <queue> <prefetch> ack|slow|hold
// prints "ready", then one line per delivery: the body, then " redelivered" if it was.
// "ack" acknowledges each message; "slow" after 2 ms of work, so that one consumer cannot
// keep up with a publisher alone; "hold" never does (a consumer that will be killed).
import { openTarget, type BrokerTarget } from './brokerTarget.js';

const [targetJson = '', queue = '', prefetchText = '1', mode = 'ack'] = process.argv.slice(2);
const broker = await openTarget(JSON.parse(targetJson) as BrokerTarget);
await broker.consume(queue, Number(prefetchText), async (delivery) => {
  process.stdout.write(`${delivery.body.toString()}${delivery.redelivered ? ' redelivered' : ''}\n`);
  if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 2));
  if (mode === 'ack' || mode === 'slow') await delivery.ack();
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => void broker.close().then(() => process.exit(0)));
