// The subscribe's POP3 session on a scripted server (issue "Beyond Dovecot" item 6): a kept
// session the server cut while idle is replaced before the next message, which does not
// fail for it; UTF8 is said where offered; a LOGIN-DELAY refusal is not a wrong password.
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { mailAccount } from '../../lib/mail/account.js';
import { describeMailError, isLastingMailError } from '../../lib/mail/mailErrors.js';
import { Pop3Client, Pop3Error } from '../../lib/mail/pop3/pop3Client.js';
import { Pop3Source } from '../../lib/mail/pop3/pop3Source.js';

const MESSAGES = ['Message-ID: <one@example.org>\r\n\r\nfirst\r\n', 'Message-ID: <two@example.org>\r\n\r\nsecond\r\n'];

/** A POP3 server of two messages that hangs up on a session after its first RETR; what each session said is kept. */
function scriptedServer(options: { refuse?: string } = {}) {
  const sessions: string[][] = [];
  const server = net.createServer((socket) => {
    const said: string[] = [];
    sessions.push(said);
    socket.write('+OK ready\r\n');
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        said.push(line.split(' ')[0]!);
        const [command, argument] = line.split(' ');
        const message = MESSAGES[Number(argument) - 1] ?? '';
        switch (command) {
          case 'CAPA': socket.write('+OK\r\nUIDL\r\nTOP\r\nUTF8 USER\r\nLOGIN-DELAY 0\r\n.\r\n'); break;
          case 'UTF8': case 'USER': socket.write('+OK\r\n'); break;
          case 'PASS': socket.write(options.refuse ? `-ERR ${options.refuse}\r\n` : '+OK\r\n'); break;
          case 'UIDL': socket.write('+OK\r\n1 u1\r\n2 u2\r\n.\r\n'); break;
          case 'TOP': socket.write(`+OK\r\n${message.split('\r\n\r\n')[0]}\r\n\r\n.\r\n`); break;
          case 'RETR':
            socket.write(`+OK\r\n${message}.\r\n`);
            setTimeout(() => socket.destroy(), 20); // the server's autologout, while the client is idle
            break;
          case 'QUIT': socket.end('+OK\r\n'); break;
          default: socket.write('-ERR unknown\r\n');
        }
      }
    });
  });
  return { server, sessions };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function collect(): { sink: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return { sink: new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk); done(); } }), text: () => Buffer.concat(chunks).toString() };
}

describe('the POP3 session of a subscribe', () => {
  const { server, sessions } = scriptedServer();
  let port: number;
  before(async () => { port = await listen(server); });
  after(() => server.close());

  it('replaces a session the server cut while idle, and the next message does not fail for it; says UTF8 before USER', async () => {
    const account = mailAccount(`pop://ingest@127.0.0.1:${port}/`);
    const source = new Pop3Source({ account, password: 'secret', tls: { required: false, verify: true, ca: undefined }, timeoutMs: 5000 });
    const first = collect();
    await source.download({ protocol: 'pop3', uidl: 'u1' }, { messageId: '<one@example.org>' }, first.sink);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the server hangs up meanwhile
    const second = collect();
    await source.download({ protocol: 'pop3', uidl: 'u2' }, { messageId: '<two@example.org>' }, second.sink);
    await source.close();
    assert.equal(first.text(), MESSAGES[0]);
    assert.equal(second.text(), MESSAGES[1]);
    assert.equal(sessions.length, 2, 'a second session, opened for the second message');
    for (const said of sessions) assert.deepEqual(said.slice(0, 4), ['CAPA', 'UTF8', 'USER', 'PASS']);
  });
});

describe('a POP3 login refused for coming too soon', () => {
  const { server } = scriptedServer({ refuse: '[LOGIN-DELAY] Logins must be at least 1 minute apart' });
  let port: number;
  before(async () => { port = await listen(server); });
  after(() => server.close());

  it('is said as what it is, passes by itself, and is not a wrong password', async () => {
    const account = mailAccount(`pop://ingest@127.0.0.1:${port}/`);
    const error = await Pop3Client.connect({ account, password: 'secret', tls: { required: false, verify: true, ca: undefined }, timeoutMs: 5000 })
      .then(() => undefined, (failure: unknown) => failure);
    assert.ok(error instanceof Pop3Error && error.kind === 'busy', String(error));
    assert.equal(isLastingMailError(error), false);
    const words = describeMailError(error, { account });
    assert.match(words, /refused the login of ingest for now: \[LOGIN-DELAY\] Logins must be at least 1 minute apart \(not the password/);
    assert.doesNotMatch(words, /login refused|credentials\.conf/);
  });
});
