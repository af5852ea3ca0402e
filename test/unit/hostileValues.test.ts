// Values from strangers and from hasty configs, one class at a time (issue "Every message
// flows" item 9): names that must not pass for what they are not, header values that are no
// values, lengths that must cost a pass and not minutes, numbers and durations a config
// may not hold, URLs with IPv6 hosts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../lib/components/validate.js';
import { ConfigErrors } from '../../lib/config/errors.js';
import { loadConfig } from '../../lib/config/load.js';
import { maskPassword } from '../../lib/config/urls.js';
import { parseCount } from '../../lib/config/values.js';
import { safeFileName } from '../../lib/decode/safeName.js';
import { mailAccount } from '../../lib/mail/account.js';
import { headerDate, headerMessageId, headerText, MAX_MESSAGE_ID } from '../../lib/mail/headerValues.js';
import { topicOf } from '../../lib/message.js';
import { longTimeout } from '../../lib/system/timers.js';
import { ConfigTree } from '../helpers/configTree.js';

describe('names that are safe by what they promise', () => {
  it('drop C1 controls, bidi overrides, zero-width and other invisible characters', () => {
    assert.equal(safeFileName('invoice\u202Efdp.exe', 'p'), 'invoicefdp.exe');
    assert.equal(safeFileName('a\u200Bb\u200C\u200D\uFEFF.pdf', 'p'), 'ab.pdf');
    assert.equal(safeFileName('a\u0085b\u009bc.pdf', 'p'), 'a_b_c.pdf');
    assert.equal(safeFileName('l\u2028m\u2066n\u2069.pdf', 'p'), 'lmn.pdf');
  });
  it('never start with a dot: those names are mailpump\'s own', () => {
    assert.equal(safeFileName('..x.pdf', 'p'), '__x.pdf');
    assert.equal(safeFileName('.x.pdf.json', 'p'), '_x.pdf.json');
    assert.equal(safeFileName('.mailpump-staging', 'p'), '_mailpump-staging');
    assert.equal(safeFileName('...', 'part-1.bin'), 'part-1.bin');
  });
  it('prefix device names with superscript digits, extensions or spaces', () => {
    for (const name of ['COM\u00b9', 'lpt\u00b3.txt', 'nul .txt', 'CONIN$', 'com0']) assert.equal(safeFileName(name, 'p'), `_${name}`, name);
  });
  it('leave no space or dot at the end of a name they cut', () => {
    const cut = safeFileName(`${'x'.repeat(240)}${' '.repeat(30)}y.pdf`, 'p');
    assert.ok(!/[ .]\.pdf$/.test(cut) && cut.endsWith('.pdf'), cut);
  });
  it('replace lone surrogates instead of writing what a file system would store otherwise', () => {
    assert.equal(safeFileName('a\ud800b.pdf', 'p'), 'a\ufffdb.pdf');
  });
  it('cost one pass, whatever the length', () => {
    // Quadratic, this took minutes (cut + character re-measured the whole cut each time).
    assert.ok(Buffer.byteLength(safeFileName('é'.repeat(2_000_000), 'p')) <= 255);
  });
});

describe('header values from hostile mail', () => {
  it('leave out a date that is no date, saying so', () => {
    const problems: string[] = [];
    assert.equal(headerDate('Thu, 32 Foo 2026 99:99:99 +9999', 'Date', problems), undefined);
    assert.equal(headerDate(new Date(Number.NaN), 'Date', problems), undefined);
    assert.equal(headerDate('Mon, 2 Nov 2026 08:00:00 +0000', 'Date', problems)?.toISOString(), '2026-11-02T08:00:00.000Z');
    assert.equal(problems.length, 2);
  });
  it('cut long texts and leave out a Message-ID too long to be one', () => {
    const problems: string[] = [];
    assert.equal(headerText('s'.repeat(5000), 'Subject', problems)?.length, 1000);
    assert.equal(headerMessageId(`<${'i'.repeat(400_000)}@x>`, problems), undefined);
    assert.equal(headerMessageId(`<${'i'.repeat(MAX_MESSAGE_ID - 4)}@x>`, problems)?.length, MAX_MESSAGE_ID);
    assert.equal(problems.length, 2);
  });
  it('mask passwords in a 400,000-character log line in one pass', () => {
    // The regex this replaced backtracked quadratically: nearly two minutes on this input.
    const line = `<${'a'.repeat(400_000)}@x> imaps://u:secret@h/ ${'a://'.repeat(50_000)}`;
    const masked = maskPassword(line);
    assert.ok(masked.includes('imaps://u:***@h/') && !masked.includes('secret'));
  });
  it('cut topics to 255 bytes in one pass', () => {
    assert.ok(Buffer.byteLength(topicOf('v03', `${'é/'.repeat(200_000)}x.eml`)) <= 255);
  });
});

describe('numbers, durations and hosts a config may hold', () => {
  /** The problems `sr start` would report for a config of these lines, as one text with their count. */
  function configProblems(component: 'poll' | 'subscribe', lines: readonly string[]): { count: number; text: string } {
    const tree = new ConfigTree();
    try {
      tree.write(`${component}/mail.conf`, lines);
      validateConfig(loadConfig(tree.paths, { component, name: 'mail' }));
      return { count: 0, text: '' };
    } catch (error) {
      if (!(error instanceof ConfigErrors)) throw error;
      return { count: error.errors.length, text: error.message };
    } finally {
      tree.remove();
    }
  }

  it('refuse negative counts, and counts below an option\'s least', () => {
    assert.throws(() => parseCount('-3'), /0 or more, got "-3"/);
    const { count, text } = configProblems('subscribe', ['directory /tmp/x', 'prefetch -3', 'instances 0', 'maxMessageSize -1k']);
    assert.equal(count, 3, text);
    assert.match(text, /prefetch.*\n.*"instances" must be at least 1.*\n.*maxMessageSize/);
  });
  it('refuse an output directory below something that is not a writable directory', () => {
    const { count, text } = configProblems('subscribe', ['directory /dev/null/out/${%Y}', 'rawDirectory /tmp']);
    assert.equal(count, 1, text);
    assert.match(text, /subscribe\/mail.conf:1: "directory" \/dev\/null\/out\/\$\{%Y\}: \/dev\/null is not a directory/);
  });
  it('never show a password that broke a URL in a config', () => {
    const { count, text } = configProblems('poll', ['pollUrl imaps://u:ze/bra quokka@h/', 'post_broker amqp://f:ib/ex@b/']);
    assert.equal(count, 2, text);
    assert.match(text, /"pollUrl" is not a URL: "imaps:\/\/u:\*\*\*@h\/"/);
    assert.doesNotMatch(text, /zebra|quokka|ib\/ex/);
  });
  it('wait out delays beyond what one Node timer holds (24.8 days), instead of firing at once', async () => {
    let fired = false;
    const timer = longTimeout(() => { fired = true; }, 30 * 86_400_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    timer.clear();
    assert.equal(fired, false);
    await new Promise<void>((resolve) => { longTimeout(resolve, -5); });
  });
  it('connect to an IPv6 literal without its brackets, and name it with them', () => {
    const account = mailAccount('imaps://u@[::1]:993/');
    assert.equal(account.host, '::1');
    assert.equal(account.label, 'imaps://u@[::1]:993/');
  });
});
