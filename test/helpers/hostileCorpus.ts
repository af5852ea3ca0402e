// A generated corpus of hostile mail, by class: names built to escape, hide or take
// mailpump's own files; structures no parser can split; encodings that lie; sizes past
// every limit; winmail.dat files that claim what they do not hold; headers that are not
// what they say. Each message says what must become of it: decoded (and then which
// bytes must be among the files written: its payloads), quarantined, or either. The
// variants of each class come from a seeded generator, so a failure is reproduced.
import { base64Lines, multipart, part, sha256 } from './mailCorpus.js';

export type Outcome = 'decoded' | 'quarantined' | 'either';

export interface HostileMessage {
  readonly cls: string;
  readonly raw: Buffer;
  readonly outcome: Outcome;
  /** sha256 of bytes that must be in some written file when the message was decoded */
  readonly payloads: readonly string[];
}

/** mulberry32: small, seeded, good enough to vary test cases. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Tools {
  readonly random: () => number;
  readonly pick: <T>(items: readonly T[]) => T;
  readonly bytes: (n: number) => Buffer;
  readonly id: string;
}

const TEXT = 'Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n';

function top(t: Tools, cls: string, extra = ''): string {
  return `From: sender@example.org\r\nTo: ingest@example.org\r\nSubject: hostile ${cls}\r\nDate: Mon, 2 Nov 2026 08:00:00 +0000\r\nMessage-ID: <${t.id}@hostile.example>\r\nMIME-Version: 1.0\r\n${extra}`;
}

/** A message with one base64 attachment under `disposition`; the payload is its content. */
function withAttachment(t: Tools, cls: string, disposition: string, content = t.bytes(200 + Math.floor(t.random() * 2000)), type = 'application/pdf'): HostileMessage {
  const raw = `${top(t, cls)}${multipart('mixed', `b${t.id}`, [TEXT, part(`Content-Type: ${type}\r\nContent-Disposition: ${disposition}`, content)])}`;
  return { cls, raw: Buffer.from(raw, 'latin1'), outcome: 'decoded', payloads: [sha256(content)] };
}

const q = (name: string) => `attachment; filename="${name}"`;
const b64word = (text: string) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;

// ---- winmail.dat, built attribute by attribute ([MS-OXTNEF]) ----
function tnefAttribute(id: number, data: Buffer, declaredLength = data.length): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt8(2, 0);
  head.writeUInt32LE(id, 1);
  head.writeUInt32LE(declaredLength >>> 0, 5);
  return Buffer.concat([head, data, Buffer.alloc(2)]);
}
const TNEF_SIGNATURE = Buffer.from([0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00]);
const REND = 0x00069002;
const DATA = 0x0006800f;
const TITLE = 0x00018010;
const ATTACHMENT = 0x00069005;

function tnefMessage(t: Tools, cls: string, dat: Buffer, payloads: readonly string[]): HostileMessage {
  const raw = `${top(t, cls)}${multipart('mixed', `t${t.id}`, [TEXT, part('Content-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Disposition: attachment; filename="winmail.dat"', dat)])}`;
  return { cls, raw: Buffer.from(raw, 'latin1'), outcome: 'decoded', payloads };
}

type Generator = (t: Tools) => HostileMessage;

/** Each class: a name, and a generator of its variants. */
export const HOSTILE_CLASSES: ReadonlyArray<readonly [string, Generator]> = [
  // ---- names ----
  ['name-traversal', (t) => withAttachment(t, 'name-traversal', q(t.pick(['../../../etc/x.pdf', '..\\..\\win.ini', '/etc/passwd', 'C:\\Windows\\evil.dll', 'a/../../b.pdf', '....//....//x.pdf'])))],
  ['name-traversal-2231', (t) => withAttachment(t, 'name-traversal-2231', `attachment; filename*=UTF-8''${t.pick(['%2e%2e%2f%2e%2e%2fx.pdf', '%2F%2Froot%2F.ssh%2Fauthorized_keys', '..%5C..%5Cx.exe'])}`)],
  ['name-leading-dots', (t) => withAttachment(t, 'name-leading-dots', q(t.pick(['..x.pdf', '.bashrc', '...', '..', '.mailpump-staging', '. .pdf'])))],
  ['name-control', (t) => withAttachment(t, 'name-control', `attachment; filename="${b64word(`a${String.fromCharCode(1 + Math.floor(t.random() * 30))}b\u0085c\u009b.pdf`)}"`)],
  ['name-bidi-invisible', (t) => withAttachment(t, 'name-bidi-invisible', `attachment; filename="${b64word(t.pick(['invoice\u202Efdp.exe', 'x\u200B\u200Cy.pdf', '\uFEFFbom.pdf', 'a\u2028b.pdf', 'r\u2066l\u2069.pdf']))}"`)],
  ['name-reserved', (t) => withAttachment(t, 'name-reserved', `attachment; filename="${b64word(t.pick(['CON', 'nul.txt', 'COM\u00b9', 'lpt9.pdf', 'aux .pdf', 'CONIN$']))}"`)],
  ['name-overlong', (t) => withAttachment(t, 'name-overlong', `attachment; filename="${b64word(`${t.pick(['é', 'x', '漢', '😀'])}`.repeat(200 + Math.floor(t.random() * 800)) + t.pick(['.pdf', '   .pdf', '.' + 'x'.repeat(60)]))}"`)],
  ['name-own-files', (t) => {
    // An attachment that wants the name of another one's sidecar or of the raw backup.
    const main = t.bytes(300);
    const fake = Buffer.from('{"sha256":"forged"}');
    const name = t.pick(['scan.pdf', 'doc.pdf']);
    const other = t.pick([`${name}.json`, `.${name}.json`, '1.eml', '.1.eml', 'part-2.pdf.json']);
    const raw = `${top(t, 'name-own-files')}${multipart('mixed', `o${t.id}`, [TEXT, part(`Content-Type: application/pdf\r\nContent-Disposition: ${q(name)}`, main), part(`Content-Type: application/json\r\nContent-Disposition: ${q(other)}`, fake)])}`;
    return { cls: 'name-own-files', raw: Buffer.from(raw), outcome: 'decoded', payloads: [sha256(main), sha256(fake)] };
  }],
  ['name-empty', (t) => withAttachment(t, 'name-empty', t.pick(['attachment; filename=""', 'attachment; filename="   "', 'attachment; filename="???"', 'attachment; filename="*"', 'attachment']))],
  ['name-bad-2047', (t) => withAttachment(t, 'name-bad-2047', `attachment; filename="${t.pick(['=?x-unknown?B?AAAA?=', '=?UTF-8?Q?=ZZ=?=.pdf', '=?UTF-8?B?####?=', '=?=?=?', '=?UTF-8?B?' + 'A'.repeat(5000) + '?='])}"`)],
  ['name-bad-2231', (t) => withAttachment(t, 'name-bad-2231', t.pick(["attachment; filename*0*=UTF-8''a%; filename*5=b.pdf", "attachment; filename*=x-nope''%ff%fe.pdf", "attachment; filename*0=a; filename*0=b; filename*1*=%E9", "attachment; filename*=''"]))],
  ['name-duplicates', (t) => {
    const contents = Array.from({ length: 20 + Math.floor(t.random() * 40) }, () => t.bytes(50));
    const raw = `${top(t, 'name-duplicates')}${multipart('mixed', `d${t.id}`, [TEXT, ...contents.map((c) => part(`Content-Type: application/pdf\r\nContent-Disposition: ${q('same.pdf')}`, c))])}`;
    return { cls: 'name-duplicates', raw: Buffer.from(raw), outcome: 'decoded', payloads: contents.map(sha256) };
  }],
  ['name-raw-8bit', (t) => withAttachment(t, 'name-raw-8bit', `attachment; filename="${String.fromCharCode(0xe9, 0xff, 0xfe, 0xc3, 0x28)}${t.pick(['.pdf', '\u00ad.pdf', '\u0080.pdf'])}"`)],

  // ---- structure ----
  ['struct-no-boundary', (t) => ({ cls: 'struct-no-boundary', raw: Buffer.from(`${top(t, 'struct-no-boundary', 'Content-Type: multipart/mixed\r\n')}\r\n--x${t.id}\r\n${TEXT}--x${t.id}--\r\n`), outcome: 'quarantined', payloads: [] })],
  ['struct-empty-boundary', (t) => ({ cls: 'struct-empty-boundary', raw: Buffer.from(`${top(t, 'struct-empty-boundary', `Content-Type: multipart/${t.pick(['mixed', 'related', 'alternative'])}; boundary=""\r\n`)}\r\npreamble\r\n`), outcome: 'quarantined', payloads: [] })],
  ['struct-boundary-absent', (t) => ({ cls: 'struct-boundary-absent', raw: Buffer.from(`${top(t, 'struct-boundary-absent', `Content-Type: multipart/mixed; boundary="never${t.id}"\r\n`)}\r\n${base64Lines(t.bytes(3000))}\r\n`), outcome: 'quarantined', payloads: [] })],
  ['struct-non-ascii-boundary', (t) => ({ cls: 'struct-non-ascii-boundary', raw: Buffer.from(`${top(t, 'struct-non-ascii-boundary', 'Content-Type: multipart/mixed; boundary="é"\r\n')}\r\n--é\r\n${TEXT}--é--\r\n`), outcome: 'quarantined', payloads: [] })],
  ['struct-deep-nesting', (t) => {
    const content = t.bytes(500);
    let body = part(`Content-Type: application/pdf\r\nContent-Disposition: ${q('deep.pdf')}`, content);
    const depth = 20 + Math.floor(t.random() * 40);
    for (let level = 0; level < depth; level += 1) body = `Content-Type: multipart/mixed; boundary="n${level}"\r\n\r\n--n${level}\r\n${body}\r\n--n${level}--\r\n`;
    return { cls: 'struct-deep-nesting', raw: Buffer.from(`${top(t, 'struct-deep-nesting')}${body}`), outcome: 'either', payloads: [sha256(content)] };
  }],
  ['struct-too-many-parts', (t) => ({
    cls: 'struct-too-many-parts', outcome: 'quarantined', payloads: [],
    raw: Buffer.from(`${top(t, 'struct-too-many-parts')}${multipart('mixed', `m${t.id}`, Array.from({ length: 1100 + Math.floor(t.random() * 300) }, () => 'Content-Type: text/plain\r\n\r\nx\r\n'))}`),
  })],
  ['struct-many-small-parts', (t) => {
    const contents = Array.from({ length: 60 + Math.floor(t.random() * 140) }, () => t.bytes(8));
    const raw = `${top(t, 'struct-many-small-parts')}${multipart('mixed', `s${t.id}`, contents.map((c, i) => part(`Content-Type: application/octet-stream\r\nContent-Disposition: ${q(`p${i}.bin`)}`, c)))}`;
    return { cls: 'struct-many-small-parts', raw: Buffer.from(raw), outcome: 'decoded', payloads: contents.map(sha256) };
  }],
  ['struct-truncated', (t) => {
    const full = withAttachment(t, 'struct-truncated', q('cut.pdf'), t.bytes(4000)).raw;
    return { cls: 'struct-truncated', raw: full.subarray(0, Math.floor(full.length * (0.5 + t.random() * 0.4))), outcome: 'either', payloads: [] };
  }],
  ['struct-rfc822-chain', (t) => {
    const content = t.bytes(400);
    let message = `Subject: innermost\r\n${multipart('mixed', 'z', [TEXT, part(`Content-Type: application/pdf\r\nContent-Disposition: ${q('inner.pdf')}`, content)])}`;
    for (let level = 0; level < 4 + Math.floor(t.random() * 6); level += 1) {
      message = `Subject: level ${level}\r\n${multipart('mixed', `c${level}`, [TEXT, `Content-Type: message/rfc822\r\n\r\n${message}`])}`;
    }
    // Deeper than decodeDepth: what is below is written as .eml, so the payload is inside a file, not one.
    return { cls: 'struct-rfc822-chain', raw: Buffer.from(`${top(t, 'struct-rfc822-chain')}${message.slice(message.indexOf('\r\n') + 2)}`), outcome: 'decoded', payloads: [] };
  }],
  ['struct-rfc822-broken', (t) => ({
    cls: 'struct-rfc822-broken', outcome: 'quarantined', payloads: [],
    raw: Buffer.from(`${top(t, 'struct-rfc822-broken')}${multipart('mixed', `r${t.id}`, [TEXT, 'Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n'])}`),
  })],
  ['struct-no-final-boundary', (t) => {
    const content = t.bytes(700);
    const raw = `${top(t, 'struct-no-final-boundary', `Content-Type: multipart/mixed; boundary="f${t.id}"\r\n`)}\r\n--f${t.id}\r\n${TEXT}\r\n--f${t.id}\r\n${part(`Content-Type: application/pdf\r\nContent-Disposition: ${q('open.pdf')}`, content)}`;
    return { cls: 'struct-no-final-boundary', raw: Buffer.from(raw), outcome: 'decoded', payloads: [sha256(content)] };
  }],
  ['struct-headers-only', (t) => ({ cls: 'struct-headers-only', raw: Buffer.from(t.pick([top(t, 'struct-headers-only'), `${top(t, 'struct-headers-only')}\r\n`, 'X: y'])), outcome: 'decoded', payloads: [] })],

  // ---- encodings ----
  ['enc-bad-base64', (t) => ({
    cls: 'enc-bad-base64', outcome: 'decoded', payloads: [],
    raw: Buffer.from(`${top(t, 'enc-bad-base64')}${multipart('mixed', `e${t.id}`, [TEXT, `Content-Type: application/pdf\r\nContent-Disposition: ${q('b.pdf')}\r\nContent-Transfer-Encoding: base64\r\n\r\n${t.pick(['!!!!', '====AAAA====', 'QUJD\u0000REVG', '*'.repeat(3000)])}\r\n`])}`, 'latin1'),
  })],
  ['enc-bad-qp', (t) => ({
    cls: 'enc-bad-qp', outcome: 'decoded', payloads: [],
    raw: Buffer.from(`${top(t, 'enc-bad-qp')}${multipart('mixed', `q${t.id}`, [TEXT, `Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: ${q('q.txt')}\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${t.pick(['=ZZ=Q=', '='.repeat(2000), 'abc=\r\n=\r\n=C3', '=00=00=FF'])}\r\n`])}`),
  })],
  ['enc-unknown-cte', (t) => {
    const content = Buffer.from(t.pick(['plain bytes', 'bytes with\u0000NUL']), 'latin1');
    const raw = `${top(t, 'enc-unknown-cte')}${multipart('mixed', `u${t.id}`, [TEXT, `Content-Type: application/octet-stream\r\nContent-Disposition: ${q('u.bin')}\r\nContent-Transfer-Encoding: ${t.pick(['x-uuencode', 'x-nope', '8bit', 'binary'])}\r\n\r\n${content.toString('latin1')}\r\n`])}`;
    return { cls: 'enc-unknown-cte', raw: Buffer.from(raw, 'latin1'), outcome: 'decoded', payloads: [] };
  }],
  ['enc-unknown-charset', (t) => ({
    cls: 'enc-unknown-charset', outcome: 'decoded', payloads: [],
    raw: Buffer.from(`${top(t, 'enc-unknown-charset', `Content-Type: text/plain; charset="${t.pick(['x-klingon', 'utf-7', 'utf-16', '', '"'])}"\r\n`)}\r\n${String.fromCharCode(0xe9, 0xff, 0x00, 0x81)} texte\r\n`, 'latin1'),
  })],
  ['enc-nul-headers', (t) => {
    const m = withAttachment(t, 'enc-nul-headers', q('n\u0000ul.pdf'));
    return { ...m, outcome: 'either', raw: Buffer.from(m.raw.toString('latin1').replace(/^Message-ID: <(.*)>$/m, 'Message-ID: <$1\u0000x>').replace(/^Subject: (.*)$/m, 'Subject: $1\u0000\u0001'), 'latin1') };
  }],

  // ---- sizes ----
  ['size-huge-header', (t) => ({
    cls: 'size-huge-header', outcome: 'quarantined', payloads: [],
    raw: Buffer.from(`${top(t, 'size-huge-header')}${Array.from({ length: 1500 }, (_, i) => `X-Filler-${i}: ${'h'.repeat(1000)}`).join('\r\n')}\r\nContent-Type: text/plain\r\n\r\nbody\r\n`),
  })],
  ['size-huge-part-header-after-body', (t) => ({
    cls: 'size-huge-part-header-after-body', outcome: 'quarantined', payloads: [],
    raw: Buffer.from(`${top(t, 'size-huge-part-header-after-body')}${multipart('mixed', `h${t.id}`, [TEXT, `Content-Type: application/pdf\r\n${Array.from({ length: 1200 }, (_, i) => `X-Pad-${i}: ${'p'.repeat(1000)}`).join('\r\n')}\r\n\r\nAAAA\r\n`])}`),
  })],
  ['size-long-line', (t) => {
    const content = t.bytes(500_000 + Math.floor(t.random() * 1_000_000));
    const raw = `${top(t, 'size-long-line')}${multipart('mixed', `l${t.id}`, [TEXT, `Content-Type: application/octet-stream\r\nContent-Disposition: ${q('one-line.bin')}\r\nContent-Transfer-Encoding: base64\r\n\r\n${content.toString('base64')}\r\n`])}`;
    return { cls: 'size-long-line', raw: Buffer.from(raw), outcome: 'decoded', payloads: [sha256(content)] };
  }],
  ['size-huge-fields', (t) => withAttachment({ ...t, id: `${t.id}${'i'.repeat(50_000 + Math.floor(t.random() * 350_000))}` }, 'size-huge-fields', q('f.pdf'))],

  // ---- winmail.dat ----
  ['tnef-huge-count', (t) => {
    const data = t.bytes(300);
    const block = Buffer.alloc(16);
    block.writeUInt32LE(1, 0); // one property...
    block.writeUInt16LE(0x1003, 4); // ...PT_MV_LONG...
    block.writeUInt16LE(0x3707, 6);
    block.writeUInt32LE(0xffffffff, 8); // ...claiming 2^32 values
    const dat = Buffer.concat([TNEF_SIGNATURE, tnefAttribute(REND, Buffer.alloc(14)), tnefAttribute(TITLE, Buffer.from('A.BIN\0')), tnefAttribute(DATA, data), tnefAttribute(ATTACHMENT, block)]);
    return tnefMessage(t, 'tnef-huge-count', dat, [sha256(data)]);
  }],
  ['tnef-broken', (t) => {
    const good = Buffer.concat([TNEF_SIGNATURE, tnefAttribute(REND, Buffer.alloc(14)), tnefAttribute(DATA, t.bytes(500))]);
    const dat = t.pick([good.subarray(0, 40), Buffer.concat([Buffer.from('NOTTNEF!'), good]), Buffer.concat([good, Buffer.from([1, 2, 3])])]);
    return tnefMessage(t, 'tnef-broken', dat, [sha256(dat)]); // kept whole
  }],
  ['tnef-too-many', (t) => {
    const pieces: Buffer[] = [TNEF_SIGNATURE];
    for (let n = 0; n < 1200 + Math.floor(t.random() * 500); n += 1) pieces.push(tnefAttribute(REND, Buffer.alloc(0)), tnefAttribute(DATA, Buffer.from([n & 255])));
    const dat = Buffer.concat(pieces);
    return tnefMessage(t, 'tnef-too-many', dat, [sha256(dat)]); // over the cap: kept whole
  }],
  ['tnef-lying-length', (t) => {
    const dat = Buffer.concat([TNEF_SIGNATURE, tnefAttribute(REND, Buffer.alloc(14)), tnefAttribute(DATA, t.bytes(64), 0xfffffff0)]);
    return tnefMessage(t, 'tnef-lying-length', dat, [sha256(dat)]);
  }],
  ['tnef-many-empty-attributes', (t) => {
    const data = t.bytes(100);
    const pieces: Buffer[] = [TNEF_SIGNATURE];
    for (let n = 0; n < 20000; n += 1) pieces.push(tnefAttribute(0x00069999, Buffer.alloc(0)));
    pieces.push(tnefAttribute(REND, Buffer.alloc(0)), tnefAttribute(DATA, data));
    return tnefMessage(t, 'tnef-many-empty-attributes', Buffer.concat(pieces), [sha256(data)]);
  }],

  // ---- headers ----
  ['hdr-bad-date', (t) => {
    const m = withAttachment(t, 'hdr-bad-date', q('d.pdf'));
    const date = t.pick(['Thu, 32 Foo 2026 99:99:99 +9999', 'not a date', '0', '', 'Mon, 1 Jan 275760 00:00:00 +0000', '\u0000']);
    return { ...m, raw: Buffer.from(m.raw.toString('latin1').replace(/^Date: .*$/m, `Date: ${date}`), 'latin1') };
  }],
  ['hdr-garbage', (t) => {
    const content = t.bytes(300);
    const junk = t.pick([': no name\r\n', 'NoColonLine\r\n', ' leading fold\r\n', `X-Bin: ${String.fromCharCode(0, 1, 2, 0xff)}\r\n`, 'Content-Type: \r\nContent-Type: ;;;==\r\n']);
    const raw = `${junk}${top(t, 'hdr-garbage')}${multipart('mixed', `g${t.id}`, [TEXT, part(`Content-Type: application/pdf\r\nContent-Disposition: ${q('g.pdf')}`, content)])}`;
    return { cls: 'hdr-garbage', raw: Buffer.from(raw, 'latin1'), outcome: 'either', payloads: [] };
  }],
  ['hdr-long-folded', (t) => {
    const m = withAttachment(t, 'hdr-long-folded', q('fold.pdf'));
    return { ...m, raw: Buffer.from(m.raw.toString('latin1').replace(/^Subject: .*$/m, `Subject: ${Array.from({ length: 3000 }, () => 'word').join('\r\n ')}`), 'latin1') };
  }],
];

/** The payload named `regexBomb.name` makes `rejectFile ^(a+)+$` backtrack for ever: the decode budget must catch it. */
export const REGEX_BOMB_RULE = 'rejectFile (a+)+b';
export function regexBomb(t: Tools): HostileMessage {
  return { ...withAttachment(t, 'regex-bomb', q(`${'a'.repeat(40)}!`)), outcome: 'quarantined', payloads: [] };
}

/** `size` bytes from the seeded generator. */
function randomBytes(random: () => number, size: number): Buffer {
  const buffer = Buffer.alloc(size + 3);
  for (let at = 0; at < size; at += 4) buffer.writeUInt32LE(Math.floor(random() * 4294967296), at);
  return buffer.subarray(0, size);
}

/** `count` hostile messages per class (and the regex bomb `bombs` times), in a shuffled order, from `seed`. */
export function hostileCorpus(seed: number, perClass: number, bombs: number): HostileMessage[] {
  const random = prng(seed);
  let n = 0;
  const tools = (): Tools => ({
    random,
    pick: (items) => items[Math.floor(random() * items.length)]!,
    bytes: (size) => randomBytes(random, size),
    id: `h${seed}-${n++}`,
  });
  const messages: HostileMessage[] = [];
  for (const [, generate] of HOSTILE_CLASSES) for (let i = 0; i < perClass; i += 1) messages.push(generate(tools()));
  for (let i = 0; i < bombs; i += 1) messages.push(regexBomb(tools()));
  for (let i = messages.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [messages[i], messages[j]] = [messages[j]!, messages[i]!];
  }
  return messages;
}
