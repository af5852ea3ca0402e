import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pruneQuarantine, REASON_SUFFIX } from '../../lib/components/subscribe/quarantine.js';

/** Entries `<id>.reason.txt` + `<id>.eml` of `bytes`, `ageDays` old. */
function quarantine(entries: ReadonlyArray<{ id: string; ageDays: number; bytes: number }>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-quarantine-'));
  for (const { id, ageDays, bytes } of entries) {
    const when = new Date(Date.now() - ageDays * 86_400_000);
    for (const [suffix, size] of [[REASON_SUFFIX, 10], ['.eml', bytes - 10]] as const) {
      const file = path.join(dir, `${id}${suffix}`);
      fs.writeFileSync(file, Buffer.alloc(size));
      fs.utimesSync(file, when, when);
    }
  }
  return dir;
}

const left = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith(REASON_SUFFIX)).map((name) => name.slice(0, -REASON_SUFFIX.length)).sort();

describe('quarantine bounds (quarantineAgeMax, quarantineSizeMax)', () => {
  it('bound the malformed envelopes too: <name> and <name>.reason.txt, never a directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-quarantine-'));
    try {
      const old = new Date(Date.now() - 100 * 86_400_000);
      for (const [name, bytes] of [['a.tar.gz', 400], [`a.tar.gz${REASON_SUFFIX}`, 10], ['b.xml', 50], [`b.xml${REASON_SUFFIX}`, 10]] as const) {
        fs.writeFileSync(path.join(dir, name), Buffer.alloc(bytes));
        if (name.startsWith('a')) fs.utimesSync(path.join(dir, name), old, old);
      }
      fs.mkdirSync(path.join(dir, `c${REASON_SUFFIX}.d`));
      assert.deepEqual(pruneQuarantine(dir, { maxAgeSeconds: 90 * 86400, maxBytes: 0 }), ['a.tar.gz (older than quarantineAgeMax)']);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['b.xml', `b.xml${REASON_SUFFIX}`, `c${REASON_SUFFIX}.d`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes entries older than the age, then the oldest until the rest fits the size, both files of each', () => {
    const dir = quarantine([{ id: 'a', ageDays: 100, bytes: 100 }, { id: 'b', ageDays: 50, bytes: 500 }, { id: 'c', ageDays: 20, bytes: 300 }, { id: 'd', ageDays: 1, bytes: 300 }]);
    try {
      const removed = pruneQuarantine(dir, { maxAgeSeconds: 90 * 86400, maxBytes: 700 });
      assert.deepEqual(removed, ['a (older than quarantineAgeMax)', 'b (the quarantine is over quarantineSizeMax)']);
      assert.deepEqual(left(dir), ['c', 'd']);
      assert.equal(fs.existsSync(path.join(dir, 'b.eml')), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the newest whatever its size, and everything with both bounds at 0', () => {
    const dir = quarantine([{ id: 'old', ageDays: 2, bytes: 100 }, { id: 'huge', ageDays: 0, bytes: 5000 }]);
    try {
      assert.deepEqual(pruneQuarantine(dir, { maxAgeSeconds: 0, maxBytes: 0 }), []);
      assert.deepEqual(pruneQuarantine(dir, { maxAgeSeconds: 0, maxBytes: 1000 }), ['old (the quarantine is over quarantineSizeMax)']);
      assert.deepEqual(left(dir), ['huge']);
      assert.deepEqual(pruneQuarantine(path.join(dir, 'missing'), { maxAgeSeconds: 1, maxBytes: 1 }), [], 'no quarantine yet');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
