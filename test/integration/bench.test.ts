// The test bench itself: every protocol the later issues need answers on loopback, with
// TLS verified against the generated CA, and the helpers read back what they wrote.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { ImapFlow } from 'imapflow';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, deleteFolder, listFolders, listMessages, plainMessage } from '../bench/mailbox.js';
import { amqpUrl } from '../bench/rabbitmq.js';

/** Reads lines from a socket until `done` says the reply is complete. */
function reader(socket: net.Socket | tls.TLSSocket) {
  let buffer = '';
  let waiter: (() => void) | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => { buffer += chunk; waiter?.(); });
  return async (done: (text: string) => boolean): Promise<string> => {
    while (!done(buffer)) await new Promise<void>((resolve) => { waiter = resolve; });
    const text = buffer;
    buffer = '';
    return text;
  };
}

const line = (text: string) => text.endsWith('\r\n');

describe('test bench', () => {
  let bench: Bench;
  let ca: Buffer;
  before(async () => {
    bench = await getBench();
    ca = fs.readFileSync(bench.dovecot.caCert);
  });

  it('IMAP on the plain port upgrades with STARTTLS and logs in', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1', port: bench.dovecot.ports.imap, secure: false, doSTARTTLS: true, servername: 'localhost',
      tls: { ca: [ca] }, auth: { user: 'ingest', pass: 'ingest-secret' }, logger: false,
    });
    await client.connect();
    assert.equal(client.secureConnection, true);
    await client.logout();
  });

  it('IMAPS refuses a client that does not trust the test CA', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1', port: bench.dovecot.ports.imaps, secure: true, servername: 'localhost',
      auth: { user: 'ingest', pass: 'ingest-secret' }, logger: false,
    });
    await assert.rejects(client.connect(), /certificate/i);
  });

  it('POP3 offers STLS on the plain port and logs in after it', async () => {
    const plain = net.connect(bench.dovecot.ports.pop3, '127.0.0.1');
    const readPlain = reader(plain);
    assert.match(await readPlain(line), /^\+OK/);
    plain.write('CAPA\r\n');
    assert.match(await readPlain((t) => t.endsWith('\r\n.\r\n')), /^STLS\r$/m);
    plain.write('STLS\r\n');
    assert.match(await readPlain(line), /^\+OK/);
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, ca: [ca], servername: 'localhost' });
    await new Promise((resolve, reject) => { secure.once('secureConnect', resolve); secure.once('error', reject); });
    const read = reader(secure);
    secure.write('USER ingest\r\n');
    assert.match(await read(line), /^\+OK/);
    secure.write('PASS ingest-secret\r\n');
    assert.match(await read(line), /^\+OK/);
    secure.end('QUIT\r\n');
  });

  it('POP3S greets over TLS verified against the test CA', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: bench.dovecot.ports.pop3s, ca: [ca], servername: 'localhost' });
    const read = reader(socket);
    assert.match(await read(line), /^\+OK/);
    assert.equal(socket.authorized, true);
    socket.end('QUIT\r\n');
  });

  it('mailbox helpers put messages in a folder and read their state back', async () => {
    const folder = `bench-${Date.now()}`;
    const message = plainMessage('bench check', 'hello', { 'Message-ID': '<bench-check@example.org>' });
    const uids = await appendMessages(bench, 'clerk', folder, [message, plainMessage('second', 'two')], ['\\Seen']);
    assert.deepEqual(uids, [1, 2]);
    assert.ok((await listFolders(bench, 'clerk')).includes(folder));
    const stored = await listMessages(bench, 'clerk', folder);
    assert.equal(stored.length, 2);
    assert.equal(stored[0]?.messageId, '<bench-check@example.org>');
    assert.ok(stored[0]?.flags.includes('\\Seen'));
    assert.equal(stored[0]?.size, Buffer.byteLength(message));
    await deleteFolder(bench, 'clerk', folder);
    assert.ok(!(await listFolders(bench, 'clerk')).includes(folder));
  });

  it('RabbitMQ accepts the bench user on the run vhost and routes a message', async () => {
    const connection = await amqp.connect(amqpUrl(bench.rabbit));
    const channel = await connection.createChannel();
    const queue = await channel.assertQueue('', { exclusive: true });
    await channel.sendToQueue(queue.queue, Buffer.from('ping'));
    const got = await new Promise<string>((resolve) => {
      void channel.consume(queue.queue, (message) => { if (message) resolve(message.content.toString()); }, { noAck: true });
    });
    assert.equal(got, 'ping');
    await connection.close();
  });
});
