import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { PartWriter, placeInOrder } from '../../lib/components/subscribe/partWriter.js';
import { fileRule } from '../../lib/config/fileRules.js';
import { decodeMessage } from '../../lib/decode/mimeParts.js';
import { TNEF_FILES, tnefFixture } from '../helpers/tnefFixtures.js';
import { tnefMessage } from '../helpers/mailCorpus.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-tnef-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Decodes `raw` through the subscribe's part writer into a fresh directory; returns `name sha256` lines. */
async function writeParts(raw: Buffer, rules = [] as ReturnType<typeof fileRule>[]): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(scratch, 'out-'));
  const writer = new PartWriter({ attachmentsOnly: true, skipInline: false, rules, acceptUnmatched: true }, () => dir, { root: scratch, writer: 'tnef-test' });
  // Small chunks: attribute headers and data cut anywhere.
  const chunks = Array.from({ length: Math.ceil(raw.length / 997) }, (_, i) => raw.subarray(i * 997, i * 997 + 997));
  await decodeMessage(Readable.from(chunks), writer, { maxDepth: 3 });
  await writer.place((files) => placeInOrder(files, (what) => what.replace(/\W/g, '')));
  return fs.readdirSync(dir).map((name) => `${name} ${crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex')}`).sort();
}

describe('winmail.dat (TNEF)', () => {
  it('is unpacked into its files, under their long names, byte-exact', async () => {
    const lines = await writeParts(tnefMessage(tnefFixture('attachments.dat'), TNEF_FILES, 'u').raw);
    assert.deepEqual(lines, TNEF_FILES.map((file) => `${file.name} ${file.sha256}`).sort());
  });

  it('applies acceptFile / rejectFile to the files inside', async () => {
    const lines = await writeParts(tnefMessage(tnefFixture('attachments.dat'), TNEF_FILES, 'r').raw, [fileRule('reject', '/.*\\.htm/i')]);
    assert.deepEqual(lines.map((line) => line.split(' ')[0]), ['zappa_av1.jpg']);
  });

  it('is written whole as winmail.dat when it cannot be unpacked', async () => {
    const broken = tnefFixture('panic.dat');
    const lines = await writeParts(tnefMessage(broken, [], 'b').raw);
    assert.deepEqual(lines, [`winmail.dat ${crypto.createHash('sha256').update(broken).digest('hex')}`]);
  });
});
