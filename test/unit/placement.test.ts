import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLAT_LAYOUT, type PathLayout, parseStrip } from '../../lib/config/pathLayout.js';
import { ValueError } from '../../lib/config/values.js';
import { placementOf } from '../../lib/flow/placement.js';

const layout = (changes: Partial<PathLayout>): PathLayout => ({ ...FLAT_LAYOUT, ...changes });

describe('mirror, strip and flatten (sr3 updateFieldsAccepted)', () => {
  it('puts every file straight in the directory by default', () => {
    assert.deepEqual(placementOf('INBOX/Invoices/42.eml', FLAT_LAYOUT), { levels: [], nameLevels: [], flatten: '/' });
  });

  it('mirror keeps the relPath\'s folders, unescaped, and never the message\'s own level', () => {
    assert.deepEqual(placementOf('INBOX/Invoices/42.eml', layout({ mirror: true })).levels, ['INBOX', 'Invoices']);
    assert.deepEqual(placementOf('a%2Fb/100%25/7.eml', layout({ mirror: true })).levels, ['a/b', '100%']);
    assert.deepEqual(placementOf('uidl-1.eml', layout({ mirror: true })).levels, [], 'POP3: no folders');
  });

  it('strip N leaves out N leading levels, unless that would leave nothing (sr3: strip < levels)', () => {
    assert.deepEqual(placementOf('INBOX/Invoices/42.eml', layout({ mirror: true, strip: { count: 1 } })).levels, ['Invoices']);
    assert.deepEqual(placementOf('INBOX/Invoices/42.eml', layout({ mirror: true, strip: { count: 3 } })).levels, ['INBOX', 'Invoices']);
  });

  it('strip <regex> removes its first match; one that eats the message\'s name leaves the name alone', () => {
    assert.deepEqual(placementOf('INBOX/Invoices/2026/42.eml', layout({ mirror: true, strip: parseStrip('/INBOX/') })).levels, ['Invoices', '2026']);
    assert.deepEqual(placementOf('INBOX/Invoices/42.eml', layout({ mirror: true, strip: parseStrip('.*') })).levels, []);
  });

  it('flatten names the folders before each file name; with mirror both apply, as in sr3', () => {
    assert.deepEqual(placementOf('INBOX/Invoices/42.eml', layout({ flatten: '-' })), { levels: [], nameLevels: ['INBOX', 'Invoices'], flatten: '-' });
    assert.deepEqual(placementOf('INBOX/Invoices/42.eml', layout({ flatten: '_', strip: { count: 1 }, mirror: true })), { levels: ['Invoices'], nameLevels: ['Invoices'], flatten: '_' });
  });

  it('reads strip as sr3 does: digits a count, anything else a regex without its leading /, a broken one refused', () => {
    assert.deepEqual(parseStrip('2'), { count: 2 });
    assert.equal(String((parseStrip('/^INBOX/') as { pattern: RegExp }).pattern), '/^INBOX\\//');
    assert.throws(() => parseStrip('(unclosed'), (error: unknown) => error instanceof ValueError && /a count or a regular expression/.test(error.message));
  });
});
