import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeNotification, encodeNotification, excerpt, formatPubTime, MalformedMessage, parsePubTime, topicOf } from '../../lib/message.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const minimal = { pubTime: '20261122T084958.332', baseUrl: 'imaps://ingest@mail.example.com:993/', relPath: 'INBOX/42.eml' };

describe('pubTime', () => {
  it('is UTC YYYYMMDDTHHMMSS with a fixed 3 to 9 digit fraction', () => {
    const date = new Date('2026-11-22T08:49:58.332Z');
    assert.equal(formatPubTime(date), '20261122T084958.332');
    assert.equal(formatPubTime(date, 9), '20261122T084958.332000000');
    assert.equal(formatPubTime(new Date('2026-01-02T03:04:05.000Z')), '20260102T030405.000', 'the fraction is there even when 0');
    assert.throws(() => formatPubTime(date, 2), RangeError);
  });
  it('reads sr3 forms back, with or without fraction or T', () => {
    assert.equal(parsePubTime('20261122T084958.332825184').toISOString(), '2026-11-22T08:49:58.333Z');
    assert.equal(parsePubTime('20261122T084958').toISOString(), '2026-11-22T08:49:58.000Z');
    assert.equal(parsePubTime('20261122084958.5').toISOString(), '2026-11-22T08:49:58.500Z');
    assert.throws(() => parsePubTime('yesterday'), MalformedMessage);
  });
});

describe('topics', () => {
  it('are the prefix and the directory words of relPath, without the file name', () => {
    assert.equal(topicOf('v03', 'INBOX/Invoices/42.eml'), 'v03.INBOX.Invoices');
    assert.equal(topicOf('v03', '42.eml'), 'v03');
    assert.equal(topicOf('v03.mail', '/INBOX/42.eml'), 'v03.mail.INBOX');
    assert.equal(topicOf('v03/mail', 'INBOX/42.eml'), 'v03.mail.INBOX');
  });
  it('escape the AMQP wildcards as sr3 does, and keep other characters', () => {
    assert.equal(topicOf('v03', 'Re: #1 * urgent/a.b/x.eml'), 'v03.Re: %231 %22 urgent.a.b');
  });
  it('are cut to 255 bytes on a character boundary', () => {
    const topic = topicOf('v03', `${'é'.repeat(200)}/x.eml`);
    assert.ok(Buffer.byteLength(topic) <= 255);
    assert.equal(Buffer.byteLength(topic), 254, 'no half character');
  });
});

describe('encode and decode', () => {
  it('round-trips, keeping unknown fields and dropping internal ones', () => {
    const encoded = encodeNotification({ ...minimal, size: 1234, customHeader: 'kept', mail: { uid: 42, folder: 'INBOX' }, new_dir: '/tmp', _deleteOnPost: ['x'], topic: 'v03.x' });
    const text = JSON.parse(encoded.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(text).sort(), ['baseUrl', 'customHeader', 'mail', 'pubTime', 'relPath', 'size']);
    const decoded = decodeNotification(encoded, 'application/json');
    assert.equal(decoded.customHeader, 'kept');
    assert.deepEqual(decoded.mail, { uid: 42, folder: 'INBOX' });
  });
  it('reads the legacy names integrity and retPath, and a size written as a string', () => {
    const decoded = decodeNotification(body({ ...minimal, integrity: { method: 'sha512', value: 'abc=' }, retPath: 'x/y', size: '12' }));
    assert.deepEqual(decoded.identity, { method: 'sha512', value: 'abc=' });
    assert.equal(decoded.retrievePath, 'x/y');
    assert.equal(decoded.size, 12);
    assert.equal('integrity' in decoded, false);
  });
  it('says what is wrong with a body it cannot read', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('{"pubTime": '), /not valid JSON/],
      [Buffer.from('20261122084958 http://x/ a/b'), /not a v03 notification/],
      [body([1, 2]), /not a v03 notification|not a JSON object/],
      [body({ ...minimal, relPath: undefined }), /has no relPath/],
      [body({ ...minimal, baseUrl: 7 }), /has no baseUrl/],
      [body({ ...minimal, pubTime: 'soon' }), /pubTime "soon"/],
      [body({ ...minimal, size: 'big' }), /size is not a number/],
      [body({ ...minimal, identity: 'sha512' }), /identity is not/],
    ];
    for (const [raw, reason] of cases) assert.throws(() => decodeNotification(raw), (error: unknown) => error instanceof MalformedMessage && reason.test(error.message), raw.toString());
  });
  it('shows a printable excerpt of a bad body', () => {
    assert.equal(excerpt(Buffer.from('ab\x00\ncd')), 'ab??cd');
    assert.equal(excerpt(Buffer.from('x'.repeat(200)), 10), 'xxxxxxxxxx...');
  });
});
