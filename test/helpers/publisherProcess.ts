// Publishes bodies 1..count in a process of its own, printing "confirmed N" after each
// confirmed publish, then waits to be killed: node publisherProcess.js '<target json>' <exchange> <topic> <count>
import { openTarget, type BrokerTarget } from './brokerTarget.js';

const [targetJson = '', exchange = '', topic = '', countText = '0'] = process.argv.slice(2);
const broker = await openTarget(JSON.parse(targetJson) as BrokerTarget);
for (let n = 1; n <= Number(countText); n += 1) {
  await broker.publish(exchange, topic, Buffer.from(`m${n}`), 'application/json');
  process.stdout.write(`confirmed ${n}\n`);
}
setInterval(() => undefined, 1000);
