import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NAME_BYTES, safeFileName } from '../../lib/decode/safeName.js';

describe('safe file names', () => {
  it('keep only the last path component: never a path', () => {
    assert.equal(safeFileName('../../x.pdf', 'part-1'), 'x.pdf');
    assert.equal(safeFileName('/etc/passwd', 'part-1'), 'passwd');
    assert.equal(safeFileName('C:\\Windows\\win.ini', 'part-1'), 'win.ini');
    assert.equal(safeFileName('..', 'part-1.bin'), 'part-1.bin');
    assert.equal(safeFileName('invoices/..', 'part-2.pdf'), 'part-2.pdf');
  });
  it('replace control characters and what Windows forbids, and trailing dots and spaces', () => {
    assert.equal(safeFileName('a\u0000b\nc\u007f.pdf', 'p'), 'a_b_c_.pdf');
    assert.equal(safeFileName('what? <really>: "yes" | no*.txt', 'p'), 'what_ _really__ _yes_ _ no_.txt');
    assert.equal(safeFileName('report.pdf. . ', 'p'), 'report.pdf');
  });
  it('prefix names Windows reserves', () => {
    assert.equal(safeFileName('CON', 'p'), '_CON');
    assert.equal(safeFileName('lpt1.txt', 'p'), '_lpt1.txt');
    assert.equal(safeFileName('console.txt', 'p'), 'console.txt');
  });
  it('normalise to NFC', () => {
    assert.equal(safeFileName('e\u0301te\u0301.pdf', 'p'), '\u00e9t\u00e9.pdf');
  });
  it('cut to the file system limit in bytes, keeping the extension and whole characters', () => {
    const long = `${'é'.repeat(200)}.pdf`;
    const safe = safeFileName(long, 'p');
    assert.ok(Buffer.byteLength(safe) <= MAX_NAME_BYTES);
    assert.ok(safe.endsWith('é.pdf'));
    assert.equal(Buffer.byteLength(safeFileName(long, 'p', 10)) <= MAX_NAME_BYTES - 10, true, 'room kept for a suffix');
  });
  it('fall back when nothing is left', () => {
    assert.equal(safeFileName('', 'part-3.pdf'), 'part-3.pdf');
    assert.equal(safeFileName('   ', 'part-3.pdf'), 'part-3.pdf');
  });
});
