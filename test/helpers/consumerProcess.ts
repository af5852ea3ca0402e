// A consumer in a process of its own, for tests that need several or kill one:
//   node consumerProcess.js '<target json>' <queue> <prefetch> ack|hold
// prints "ready", then one line per delivery: the body, then " redelivered" if it was.
// "ack" acknowledges each message; "hold" never does (a consumer that will be killed).
import { openTarget, type BrokerTarget } from './brokerTarget.js';

const [targetJson = '', queue = '', prefetchText = '1', mode = 'ack'] = process.argv.slice(2);
const broker = await openTarget(JSON.parse(targetJson) as BrokerTarget);
await broker.consume(queue, Number(prefetchText), async (delivery) => {
  process.stdout.write(`${delivery.body.toString()}${delivery.redelivered ? ' redelivered' : ''}\n`);
  if (mode === 'ack') await delivery.ack();
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => void broker.close().then(() => process.exit(0)));
