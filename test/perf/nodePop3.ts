// npm run eval:node-pop3: the POP3 correctness cases of test/integration/pop3Client.test.ts,
// run with node-pop3 0.11 (the library the product card named) against a private Dovecot,
// the server's bytes cut into small pieces by a loopback proxy where the case needs it.
// The figures are the evidence for writing our own client (docs/decisions.md).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Pop3Command from 'node-pop3';
import type { Bench } from '../bench/bench.js';
import { makeCertificates } from '../bench/certificates.js';
import { type DovecotInfo, startDovecot, stopDovecot } from '../bench/dovecot.js';
import { appendMessages, emptyFolder } from '../bench/mailbox.js';
import { splittingProxy } from '../helpers/splittingProxy.js';

const USER = { name: 'postal', password: 'postal-secret' };
const TIMEOUT_MS = 10000;

function message(subject: string, body: Buffer | string): Buffer {
  const head = `From: a@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${crypto.randomUUID()}@example.org>\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]);
}

/** RETR 1 with node-pop3 through a proxy cutting the server's bytes in pieces of 1..largest bytes (0: no proxy). */
async function retrieve(dovecot: DovecotInfo, largest: number): Promise<Buffer> {
  const proxy = largest > 0 ? await splittingProxy(dovecot.ports.pop3, largest) : undefined;
  const client = new Pop3Command({ user: USER.name, password: USER.password, host: '127.0.0.1', port: proxy?.port ?? dovecot.ports.pop3, timeout: TIMEOUT_MS });
  try {
    const text = await Promise.race([
      client.RETR(1),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)),
    ]);
    // node-pop3 hands a string decoded as UTF-8: the bytes it had are not recoverable.
    return Buffer.from(text, 'utf8');
  } finally {
    await client.QUIT().catch(() => undefined);
    await proxy?.close();
  }
}

async function run(dovecot: DovecotInfo, name: string, sent: Buffer, largest: number): Promise<string> {
  await emptyFolder({ dovecot } as Bench, USER.name, 'INBOX');
  await appendMessages({ dovecot } as Bench, USER.name, 'INBOX', [sent]);
  try {
    const got = await retrieve(dovecot, largest);
    if (got.equals(sent)) return `| ${name} | correct |`;
    const at = [...sent].findIndex((byte, index) => got[index] !== byte);
    return `| ${name} | wrong: ${got.length} bytes instead of ${sent.length}, first difference at byte ${at < 0 ? Math.min(got.length, sent.length) : at} |`;
  } catch (error) {
    return `| ${name} | failed: ${(error as Error).message.split('\n')[0]} |`;
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-eval-pop3-'));
fs.chmodSync(root, 0o755);
let dovecot: DovecotInfo | undefined;
try {
  dovecot = await startDovecot(path.join(root, 'dovecot'), makeCertificates(root), [USER]);
  const line = `${crypto.randomBytes(57).toString('base64')}\r\n`;
  const eightBit = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0 && b !== 10 && b !== 13));
  const rows = [
    await run(dovecot, 'dot-stuffed lines (.hidden, a lone dot), whole reads', message('dots', '.hidden\r\n.\r\nafter a lone dot\r\n'), 0),
    await run(dovecot, 'end-of-data marker cut across reads (1-3 byte pieces)', message('split', 'short body\r\n'), 3),
    await run(dovecot, '8-bit bytes 0x01-0xFF (no CR, LF, NUL), whole reads', message('8bit', Buffer.concat([eightBit, Buffer.from('\r\n')])), 0),
    await run(dovecot, '1.5 MB message, 4093-byte pieces', message('large', line.repeat(Math.ceil((1.5 * 2 ** 20) / line.length))), 4093),
  ];
  process.stdout.write(`node-pop3 0.11.0 against Dovecot ${dovecot.ports.pop3} (plain POP3 on loopback)\n\n| case | node-pop3 |\n| --- | --- |\n${rows.join('\n')}\n| STLS on port 110 | not offered by the library: only TLS from the first byte (tls: true) |\n`);
} finally {
  if (dovecot) await stopDovecot(dovecot);
  fs.rmSync(root, { recursive: true, force: true });
}
