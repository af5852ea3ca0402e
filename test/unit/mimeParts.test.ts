import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { decodeMessage, type MessageHeaders, type MessagePart, UndecodableMessage } from '../../lib/decode/mimeParts.js';

interface Got { part: MessagePart; bytes: Buffer }

/** Decodes `raw` (fed in small chunks, as a network would) and collects every part. */
async function decode(raw: string | Buffer, maxDepth = 3): Promise<{ headers: MessageHeaders | undefined; parts: Got[] }> {
  const parts: Got[] = [];
  let headers: MessageHeaders | undefined;
  const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.replace(/\r?\n/g, '\r\n'));
  const chunks = Array.from({ length: Math.ceil(data.length / 7) }, (_, i) => data.subarray(i * 7, i * 7 + 7));
  await decodeMessage(Readable.from(chunks), {
    headers: (found) => { headers = found; },
    open: (part) => {
      const got: Got = { part, bytes: Buffer.alloc(0) };
      parts.push(got);
      return new Writable({ write(chunk: Buffer, _e, done) { got.bytes = Buffer.concat([got.bytes, chunk]); done(); } });
    },
  }, { maxDepth });
  return { headers, parts };
}

const PDF = crypto.randomBytes(3000);

function multipart(boundary: string, parts: string[]): string {
  return `${parts.map((part) => `--${boundary}\n${part}`).join('\n')}\n--${boundary}--\n`;
}

function attachment(headers: string, content: Buffer): string {
  return `${headers}\nContent-Transfer-Encoding: base64\n\n${content.toString('base64').replace(/.{76}/g, '$&\n')}\n`;
}

describe('MIME decoding', () => {
  it('hands over the headers first, then a plain message as its body part', async () => {
    const { headers, parts } = await decode('Message-ID: <a@b>\nSubject: =?UTF-8?B?w6l0w6k=?=\nFrom: Ann <ann@example.org>\n\nhello\n');
    assert.deepEqual(headers, { messageId: '<a@b>', subject: 'été', from: 'Ann <ann@example.org>' });
    assert.equal(parts.length, 1);
    assert.equal(parts[0]!.part.kind, 'body');
    assert.equal(parts[0]!.part.partPath, '1');
    assert.equal(parts[0]!.part.fallbackName, 'body.txt');
    assert.equal(parts[0]!.bytes.toString(), 'hello\r\n');
  });

  it('decodes attachments byte-exact, with RFC 2047 and RFC 2231 names (continuations, charsets) in NFC', async () => {
    const raw = `Content-Type: multipart/mixed; boundary="b1"\n\n${multipart('b1', [
      'Content-Type: text/plain\n\nsee attached\n',
      attachment('Content-Type: application/pdf\nContent-Disposition: attachment; filename="=?ISO-8859-1?Q?factur=E9.pdf?="', PDF),
      attachment("Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=UTF-8''d%C3%A9lib%C3%A9;\n filename*1*=ration%20n%C2%B042.pdf", PDF),
      attachment("Content-Type: application/pdf\nContent-Disposition: attachment; filename*=iso-8859-1'fr'tr%E9sor.pdf", PDF),
      attachment('Content-Type: application/pdf\nContent-Disposition: attachment; filename="=?UTF-8?Q?e=CC=81te=CC=81.pdf?="', PDF),
    ])}`;
    const { parts } = await decode(raw);
    assert.deepEqual(parts.map((p) => [p.part.partPath, p.part.kind, p.part.declaredName]), [
      ['1', 'body', undefined],
      ['2', 'attachment', 'facturé.pdf'],
      ['3', 'attachment', 'délibération n°42.pdf'],
      ['4', 'attachment', 'trésor.pdf'],
      ['5', 'attachment', 'été.pdf'.normalize('NFC')],
    ]);
    for (const got of parts.slice(1)) assert.ok(got.bytes.equals(PDF), `${got.part.declaredName} is byte-exact`);
    assert.equal(parts[4]!.part.declaredName, '\u00e9t\u00e9.pdf', 'decomposed accents are composed (NFC)');
  });

  it('names parts without a name from their type, and marks inline parts', async () => {
    const raw = `Content-Type: multipart/mixed; boundary="out"\n\n${multipart('out', [
      `Content-Type: multipart/related; boundary="rel"\n\n${multipart('rel', [
        'Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n<p>caf=E9</p>\n',
        attachment('Content-Type: image/png\nContent-ID: <logo>', PDF),
      ])}`,
      attachment('Content-Type: application/pdf\nContent-Disposition: attachment', PDF),
    ])}`;
    const { parts } = await decode(raw);
    assert.deepEqual(parts.map((p) => [p.part.partPath, p.part.kind, p.part.fallbackName]), [
      ['1.1', 'body', 'body.html'],
      ['1.2', 'inline', 'part-1.2.png'],
      ['2', 'attachment', 'part-2.pdf'],
    ]);
    assert.equal(parts[0]!.bytes.toString('utf8'), '<p>café</p>\r\n', 'bodies are written as UTF-8');
  });

  it('opens attached messages up to the depth limit, and hands deeper ones over whole', async () => {
    const inner = `Subject: inner\nContent-Type: multipart/mixed; boundary="in"\n\n${multipart('in', [
      'Content-Type: text/plain\n\ninner text\n',
      attachment('Content-Type: application/pdf; name="inner.pdf"', PDF),
    ])}`;
    const raw = `Subject: outer\nContent-Type: multipart/mixed; boundary="out"\n\n${multipart('out', [
      'Content-Type: text/plain\n\nouter text\n',
      `Content-Type: message/rfc822\nContent-Disposition: attachment; filename="fwd.eml"\n\n${inner}`,
    ])}`;
    const opened = await decode(raw, 1);
    assert.deepEqual(opened.parts.map((p) => [p.part.partPath, p.part.kind, p.part.declaredName ?? p.part.fallbackName, p.part.depth]), [
      ['1', 'body', 'body.txt', 0],
      ['2.1', 'body', 'body.txt', 1],
      ['2.2', 'attachment', 'inner.pdf', 1],
    ]);
    assert.ok(opened.parts[2]!.bytes.equals(PDF));
    assert.equal(opened.headers?.subject, 'outer', 'the headers are those of the message itself');
    const whole = await decode(raw, 0);
    assert.deepEqual(whole.parts.map((p) => [p.part.partPath, p.part.kind, p.part.declaredName]), [['1', 'body', undefined], ['2', 'message', 'fwd.eml']]);
    assert.match(whole.parts[1]!.bytes.toString(), /^Subject: inner/);
  });

  it('keeps a hostile declared name as declared (the writer makes it safe) and tells duplicate bodies apart', async () => {
    const raw = `Content-Type: multipart/mixed; boundary="b"\n\n${multipart('b', [
      'Content-Type: text/plain\n\none\n',
      'Content-Type: text/plain\n\ntwo\n',
      attachment('Content-Type: application/pdf\nContent-Disposition: attachment; filename="../../x.pdf"', PDF),
    ])}`;
    const { parts } = await decode(raw);
    assert.deepEqual(parts.map((p) => p.part.declaredName ?? p.part.fallbackName), ['body.txt', 'body-2.txt', '../../x.pdf']);
  });

  it('refuses a header block beyond the limit as undecodable', async () => {
    const raw = `Subject: ${'x'.repeat(5000)}\n\nbody\n`;
    const data = Buffer.from(raw.replace(/\n/g, '\r\n'));
    await assert.rejects(decodeMessage(Readable.from([data]), { headers: () => undefined, open: () => undefined }, { maxDepth: 1, maxHeaderBytes: 1000 }), UndecodableMessage);
  });
});
