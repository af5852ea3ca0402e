// The POP3 client against Dovecot, on the cases that break naive clients (and node-pop3:
// docs/decisions.md): dot-stuffed lines, the end-of-data marker cut across network reads,
// 8-bit bytes, messages over 1 MB, STLS. Messages are APPENDed over IMAP and must come back
// from RETR byte for byte.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { mailAccount } from '../../lib/mail/account.js';
import { Pop3Client, Pop3Error } from '../../lib/mail/pop3/pop3Client.js';
import type { TlsSettings } from '../../lib/mail/tls.js';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, emptyFolder } from '../bench/mailbox.js';
import { type SplittingProxy, splittingProxy } from '../helpers/splittingProxy.js';

let bench: Bench;
let ca: Buffer;
before(async () => {
  bench = await getBench();
  ca = fs.readFileSync(bench.dovecot.caCert);
});
beforeEach(async () => emptyFolder(bench, 'postal', 'INBOX'));

const PASSWORD = 'postal-secret';
const verified = (): TlsSettings => ({ required: true, verify: true, ca: [ca] });
const clear: TlsSettings = { required: false, verify: true, ca: undefined };

function message(subject: string, body: Buffer | string): Buffer {
  const head = `From: sender@example.org\r\nTo: postal@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${crypto.randomUUID()}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]);
}

async function retrieveAll(client: Pop3Client): Promise<Buffer[]> {
  const messages: Buffer[] = [];
  for (const { number } of await client.uidl()) {
    const sink = new PassThrough();
    const parts: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => parts.push(chunk));
    const octets = await client.retrieve(number, sink);
    sink.end();
    const whole = Buffer.concat(parts);
    assert.equal(whole.length, octets);
    messages.push(whole);
  }
  return messages;
}

describe('the POP3 client on Dovecot', () => {
  let proxy: SplittingProxy | undefined;
  afterEach(async () => { await proxy?.close(); proxy = undefined; });

  /** A plaintext session through a proxy cutting the server's bytes in 1 to `largest` byte pieces. */
  async function splitSession(largest = 3): Promise<Pop3Client> {
    proxy = await splittingProxy(bench.dovecot.ports.pop3, largest);
    return Pop3Client.connect({ account: mailAccount(`pop://postal@127.0.0.1:${proxy.port}/`), password: PASSWORD, tls: clear, timeoutMs: 30000 });
  }

  it('undoes dot-stuffing and finds the end marker cut across reads, message after message', async () => {
    const bodies = [
      '.hidden line\r\n..two dots\r\n.\r\nthe line above was a lone dot\r\n',
      // its last line is a lone dot: sent as "..", right before the end marker
      'ends right before the marker\r\n.\r\n',
      'x\r\n',
    ];
    const sent = bodies.map((body, index) => message(`dots ${index}`, body));
    await appendMessages(bench, 'postal', 'INBOX', sent);
    const client = await splitSession(3);
    const got = await retrieveAll(client);
    await client.quit();
    assert.deepEqual(got.map((m) => m.toString('latin1')), sent.map((m) => m.toString('latin1')));
  });

  it('keeps 8-bit bytes exactly', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0 && b !== 10 && b !== 13));
    const body = Buffer.concat([bytes, Buffer.from('\r\n'), Buffer.from('Café déjà vu ¤ ÿ\r\n', 'latin1')]);
    const sent = message('eight bit', body);
    await appendMessages(bench, 'postal', 'INBOX', [sent]);
    const client = await splitSession(2);
    const [got] = await retrieveAll(client);
    await client.quit();
    assert.ok(got?.equals(sent), 'byte for byte');
  });

  it('streams a message over 1 MB, byte for byte', async () => {
    const line = `${crypto.randomBytes(57).toString('base64')}\r\n`;
    const body = line.repeat(Math.ceil((1.5 * 2 ** 20) / line.length));
    const sent = message('large', body);
    await appendMessages(bench, 'postal', 'INBOX', [sent]);
    const client = await splitSession(4093);
    const [got] = await retrieveAll(client);
    await client.quit();
    assert.ok(sent.length > 2 ** 20);
    assert.equal(crypto.createHash('sha256').update(got!).digest('hex'), crypto.createHash('sha256').update(sent).digest('hex'));
  });

  it('lists sizes and reads headers with TOP n 0, leaving the messages on the server', async () => {
    const sent = [message('first', 'body one\r\n'), message('second', 'body two\r\n')];
    await appendMessages(bench, 'postal', 'INBOX', sent);
    const client = await splitSession(3);
    const sizes = await client.list();
    assert.deepEqual([...sizes.values()], sent.map((m) => m.length));
    const header = (await client.header(2)).toString('latin1');
    assert.match(header, /^Subject: second\r$/m);
    assert.doesNotMatch(header, /body two/);
    assert.equal((await client.uidl()).length, 2);
    await client.quit();
  });

  it('upgrades pop:// with STLS and verifies the certificate', async () => {
    const sent = message('over stls', 'secret body\r\n');
    await appendMessages(bench, 'postal', 'INBOX', [sent]);
    const client = await Pop3Client.connect({ account: mailAccount(`pop://postal@127.0.0.1:${bench.dovecot.ports.pop3}/`), password: PASSWORD, tls: verified(), timeoutMs: 30000 });
    const [got] = await retrieveAll(client);
    await client.quit();
    assert.ok(got?.equals(sent));
    await assert.rejects(
      Pop3Client.connect({ account: mailAccount(`pop://postal@127.0.0.1:${bench.dovecot.ports.pop3}/`), password: PASSWORD, tls: { required: true, verify: true, ca: undefined }, timeoutMs: 30000 }),
      /certificate/i,
    );
  });

  it('refuses a server that does not offer STLS, before sending the user name or password', async () => {
    const heard: string[] = [];
    const server = net.createServer((socket) => {
      socket.write('+OK plaintext only\r\n');
      socket.on('data', (chunk) => {
        heard.push(chunk.toString());
        if (/^CAPA/.test(chunk.toString())) socket.write('+OK\r\nUSER\r\nUIDL\r\n.\r\n');
        else socket.write('+OK\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      await assert.rejects(
        Pop3Client.connect({ account: mailAccount(`pop://postal@127.0.0.1:${port}/`), password: PASSWORD, tls: verified(), timeoutMs: 5000 }),
        (error: unknown) => error instanceof Pop3Error && error.kind === 'tls' && /does not offer STLS/.test(error.message),
      );
      assert.doesNotMatch(heard.join(''), /USER|PASS/);
    } finally {
      server.close();
    }
  });

  it('reports a refused login with the user and the server answer, never the password', async () => {
    await assert.rejects(
      Pop3Client.connect({ account: mailAccount(`pops://postal@127.0.0.1:${bench.dovecot.ports.pop3s}/`), password: 'not-the-password', tls: verified(), timeoutMs: 30000 }),
      (error: unknown) => error instanceof Pop3Error && error.kind === 'auth' && /^login failed for postal: /.test(error.message) && !error.message.includes('not-the-password'),
    );
  });
});
