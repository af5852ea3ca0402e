// A bounded fuzz run in the suite, from a fixed seed (test/fuzz/fuzzing.ts): mutated
// messages through the MIME walk and mutated winmail.dat files through the TNEF reader
// end in a decoding or the reader's own refusal, never another exception, each within
// its budget. `npm run fuzz` runs longer, from other seeds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzzMime, fuzzTnef } from '../fuzz/fuzzing.js';

const SEED = 424242;
const BUDGET_MS = 5000;

describe('fuzzing', () => {
  it('the MIME walk: 600 mutated messages, no escaped exception, none over budget', { timeout: 180_000 }, async () => {
    const report = await fuzzMime(600, SEED, BUDGET_MS);
    assert.equal(report.runs, 600);
    process.stdout.write(`MIME fuzz: ${report.runs} inputs, ${report.refused} refused, slowest ${report.slowestMs} ms\n`);
  });

  it('the TNEF reader: 1500 mutated winmail.dat files, no escaped exception, none over budget', { timeout: 180_000 }, async () => {
    const report = await fuzzTnef(1500, SEED, BUDGET_MS);
    assert.equal(report.runs, 1500);
    process.stdout.write(`TNEF fuzz: ${report.runs} inputs, ${report.refused} refused, slowest ${report.slowestMs} ms\n`);
  });
});
