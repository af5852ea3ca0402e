import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSearchKeys, SearchSyntaxError } from '../../lib/mail/imap/search.js';

describe('mailSearch: IMAP SEARCH keys', () => {
  it('reads flags, strings, dates, sizes and headers', () => {
    assert.deepEqual(parseSearchKeys('UNSEEN SINCE 1-Nov-2026 FROM billing@example.org LARGER 1000'), {
      seen: false, since: new Date('2026-11-01T00:00:00Z'), from: 'billing@example.org', larger: 1000,
    });
    assert.deepEqual(parseSearchKeys('subject "Facture n° 12" header X-Mailer Sage flagged'), {
      subject: 'Facture n° 12', header: { 'X-Mailer': 'Sage' }, flagged: true,
    });
    assert.deepEqual(parseSearchKeys('ALL'), { all: true });
    assert.deepEqual(parseSearchKeys('UNKEYWORD $Processed'), { unKeyword: '$Processed' });
  });
  it('reads NOT and OR with their operands', () => {
    assert.deepEqual(parseSearchKeys('NOT FROM spam@example.org OR SUBJECT invoice SUBJECT facture'), {
      not: { from: 'spam@example.org' }, or: [{ subject: 'invoice' }, { subject: 'facture' }],
    });
  });
  it('refuses unknown keys, missing arguments and bad dates', () => {
    for (const [text, reason] of [
      ['UNREAD', /unknown search key "UNREAD"/], ['SINCE', /SINCE needs an argument/], ['SINCE 2026-11-01', /not an IMAP date/],
      ['LARGER big', /LARGER needs a size/], ['', /at least one search key/],
    ] as const) {
      assert.throws(() => parseSearchKeys(text), (error: unknown) => error instanceof SearchSyntaxError && reason.test(error.message), text);
    }
  });
});
