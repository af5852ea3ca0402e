// A generated corpus of mail for the subscribe's end-to-end tests and benchmark: plain and
// alternative messages, several attachments, inline images, attached messages, encoded
// (RFC 2047, RFC 2231) and duplicate names, a hostile `../../x.pdf`. Each message comes with
// the files a subscribe must write for it (attachments only, inline kept), their names and
// sha256 computed here from the bytes put in, independently of any decoder.
import crypto from 'node:crypto';

export interface ExpectedFile {
  /** the name before any collision suffix */
  readonly name: string;
  readonly sha256: string;
}

export interface CorpusMessage {
  readonly raw: Buffer;
  readonly messageId: string;
  readonly files: readonly ExpectedFile[];
}

export const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

export function base64Lines(data: Buffer): string {
  return data.toString('base64').replace(/.{76}/g, '$&\r\n');
}

interface Attachment {
  readonly headers: string;
  readonly content: Buffer;
  readonly name: string;
}

function encodedName(name: string, style: number): string {
  switch (style % 4) {
    case 0: return `filename="=?UTF-8?B?${Buffer.from(name).toString('base64')}?="`;
    case 1: return `filename="=?ISO-8859-1?Q?${[...Buffer.from(name, 'latin1')].map((b) => (b > 126 || b === 32 || b === 61 || b === 63 ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b))).join('')}?="`;
    case 2: {
      // RFC 2231 continuations, percent-encoded UTF-8, cut in the middle of the name
      const encoded = encodeURIComponent(name).replace(/'/g, '%27');
      const cut = Math.floor(encoded.length / 2);
      const at = encoded.lastIndexOf('%', cut) > cut - 3 ? encoded.lastIndexOf('%', cut) : cut;
      return `filename*0*=UTF-8''${encoded.slice(0, at)};\r\n filename*1*=${encoded.slice(at)}`;
    }
    default: return `filename="${name}"`;
  }
}

function attachment(name: string, type: string, size: number, style: number, disposition = 'attachment'): Attachment {
  const content = crypto.randomBytes(size);
  return { name, content, headers: `Content-Type: ${type}\r\nContent-Disposition: ${disposition}; ${encodedName(name, style)}` };
}

export function part(headers: string, content: Buffer): string {
  return `${headers}\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(content)}\r\n`;
}

export function multipart(type: string, boundary: string, parts: readonly string[]): string {
  return `Content-Type: multipart/${type}; boundary="${boundary}"\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}`).join('\r\n')}\r\n--${boundary}--\r\n`;
}

const TEXT = 'Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, veuillez trouver ci-joint les pièces.\r\n';
const HTML = 'Content-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour, <img src="cid:logo"></p>\r\n';

function headers(index: number, subject: string, messageId: string): string {
  return [
    'From: =?UTF-8?Q?Tr=C3=A9sor_public?= <tresor@example.org>', 'To: ingest@example.org',
    `Subject: ${subject} ${index}`, `Date: ${new Date(Date.UTC(2026, 10, 1, 8, 0, index % 60)).toUTCString()}`,
    `Message-ID: ${messageId}`, 'MIME-Version: 1.0',
  ].join('\r\n');
}

/** Message `index` of the corpus; `size` scales the attachments (bytes, about). */
export function corpusMessage(index: number, tag: string, size = 6000): CorpusMessage {
  const messageId = `<m${index}-${tag}@example.org>`;
  const top = (subject: string, body: string) => Buffer.from(`${headers(index, subject, messageId)}\r\n${body}`);
  const files = (attachments: readonly Attachment[]) => attachments.map((a) => ({ name: a.name, sha256: sha256(a.content) }));
  const sized = (n: number) => size + ((index * 7919 + n * 104729) % size);
  switch (index % 7) {
    case 0: return { messageId, raw: top('Note', TEXT), files: [] };
    case 1: return { messageId, raw: top('Alternative', multipart('alternative', `alt${index}`, [TEXT, HTML])), files: [] };
    case 2: {
      const list = [
        attachment(`facturé ${index}.pdf`, 'application/pdf', sized(1), index),
        attachment(`délibération n°${index} du conseil municipal.pdf`, 'application/pdf', sized(2), index + 1),
        attachment(`état-${index}.xlsx`, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', sized(3), index + 2),
      ];
      return { messageId, raw: top('Factures', multipart('mixed', `mix${index}`, [TEXT, ...list.map((a) => part(a.headers, a.content))])), files: files(list) };
    }
    case 3: {
      const logo = attachment(`logo-${index}.png`, 'image/png', 800, 3, 'inline');
      const pdf = attachment(`rapport-${index}.pdf`, 'application/pdf', sized(1), index);
      const related = multipart('related', `rel${index}`, [HTML, part(`${logo.headers}\r\nContent-ID: <logo>`, logo.content)]);
      return { messageId, raw: top('Rapport', multipart('mixed', `mix${index}`, [related, part(pdf.headers, pdf.content)])), files: files([logo, pdf]) };
    }
    case 4: {
      const inner = attachment(`pièce jointe ${index}.pdf`, 'application/pdf', sized(1), index);
      const forwarded = `${headers(index, 'Original', `<inner${index}-${tag}@example.org>`)}\r\n${multipart('mixed', `in${index}`, [TEXT, part(inner.headers, inner.content)])}`;
      const body = multipart('mixed', `fwd${index}`, [TEXT, `Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="transfert.eml"\r\n\r\n${forwarded}`]);
      return { messageId, raw: top('Fwd', body), files: files([inner]) };
    }
    case 5: {
      const list = [attachment('scan.pdf', 'application/pdf', sized(1), 3), attachment('scan.pdf', 'application/pdf', sized(2), 0)];
      return { messageId, raw: top('Scans', multipart('mixed', `mix${index}`, [TEXT, ...list.map((a) => part(a.headers, a.content))])), files: files(list) };
    }
    default: {
      const hostile = attachment('../../x.pdf', 'application/pdf', sized(1), 3);
      return { messageId, raw: top('Hostile', multipart('mixed', `mix${index}`, [TEXT, part(hostile.headers, hostile.content)])), files: [{ name: 'x.pdf', sha256: sha256(hostile.content) }] };
    }
  }
}

/** A message whose one attachment is `bytes` long (the 50 MB case), built without holding its base64 twice. */
export function largeMessage(bytes: number, tag: string): CorpusMessage {
  const content = crypto.randomBytes(bytes);
  const messageId = `<large-${tag}@example.org>`;
  const raw = Buffer.from(`${headers(0, 'Large', messageId)}\r\n${multipart('mixed', 'large', [TEXT, part('Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="archive.bin"', content)])}`);
  return { messageId, raw, files: [{ name: 'archive.bin', sha256: sha256(content) }] };
}

/** A message from Outlook: its attachments inside one winmail.dat (test/fixtures/tnef). */
export function tnefMessage(winmailDat: Buffer, expected: readonly ExpectedFile[], tag: string): CorpusMessage {
  const messageId = `<tnef-${tag}@example.org>`;
  const raw = Buffer.from(`${headers(0, 'Outlook', messageId)}\r\n${multipart('mixed', 'tnef', [TEXT, part('Content-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Disposition: attachment; filename="winmail.dat"', winmailDat)])}`);
  return { messageId, raw, files: expected };
}
