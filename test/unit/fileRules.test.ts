import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileAccepted, fileRegex, fileRule, FileRuleError } from '../../lib/config/fileRules.js';

describe('file name filters (acceptFile, rejectFile)', () => {
  it('match the whole name, plain or between slashes with flags', () => {
    assert.equal(fileRegex('.*\\.pdf').test('invoice.pdf'), true);
    assert.equal(fileRegex('.*\\.pdf').test('invoice.pdf.exe'), false, 'anchored at the end too');
    assert.equal(fileRegex('.*\\.pdf').test('INVOICE.PDF'), false);
    assert.equal(fileRegex('/.*\\.pdf/i').test('INVOICE.PDF'), true);
    assert.equal(fileRegex('invoice').test('my-invoice.pdf'), false, 'anchored at the start');
  });

  it('try rules in order, the first match deciding, acceptUnmatchedFile for the rest', () => {
    const rules = [fileRule('reject', '/.*draft.*/i'), fileRule('accept', '/.*\\.(pdf|xml)/i')];
    assert.equal(fileAccepted(rules, false, 'Facture-042.PDF'), true);
    assert.equal(fileAccepted(rules, false, 'DRAFT-facture.pdf'), false, 'rejected before the accept is tried');
    assert.equal(fileAccepted(rules, false, 'logo.png'), false);
    assert.equal(fileAccepted(rules, true, 'logo.png'), true);
  });

  it('keep every extension but those starting with db with a lookahead on the last dot', () => {
    const keep = [fileRule('accept', '/^.*\\.(?!db)[^.]*$/i')];
    const kept = (name: string) => fileAccepted(keep, false, name);
    assert.deepEqual(['report.pdf', 'archive.tar.gz', 'Thumbs.db', 'data.DB', 'x.dbf', 'archive.tar.db', 'README'].map(kept),
      [true, true, false, false, false, false, false]);
  });

  it('show why /.*\\.(?!db).*/ does not do what it says (docs/filters.md)', () => {
    const naive = [fileRule('accept', '/.*\\.(?!db).*/')];
    const kept = (name: string) => fileAccepted(naive, false, name);
    assert.equal(kept('Thumbs.db'), false, 'the one case it gets right');
    assert.equal(kept('archive.tar.db'), true, 'an earlier dot satisfies the lookahead');
    assert.equal(kept('data.DB'), true, 'no i flag');
    assert.equal(kept('x.dbf'), false, 'dbf is not db, yet it is refused');
  });

  it('explain a rule that cannot be read', () => {
    assert.throws(() => fileRegex('/.*\\.pdf/g'), (error: unknown) => error instanceof FileRuleError && /flags may be i, m, s and u, got "g"/.test(error.message));
    assert.throws(() => fileRegex('(unclosed'), (error: unknown) => error instanceof FileRuleError && /is not a regular expression/.test(error.message));
  });
});
