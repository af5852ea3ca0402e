import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicMatches } from '../../lib/broker/broker.js';

describe('topic matching (AMQP binding keys)', () => {
  it('matches words exactly, * as one word, # as zero or more', () => {
    const cases: Array<[string, string, boolean]> = [
      ['v03.INBOX', 'v03.INBOX', true],
      ['v03.INBOX', 'v03.INBOX.a', false],
      ['v03.*', 'v03.INBOX', true],
      ['v03.*', 'v03', false],
      ['v03.*', 'v03.a.b', false],
      ['v03.#', 'v03', true],
      ['v03.#', 'v03.a.b.c', true],
      ['#', '', true],
      ['#', 'v03.a', true],
      ['#.invoices', 'v03.x.invoices', true],
      ['#.invoices', 'invoices', true],
      ['v03.#.2026', 'v03.2026', true],
      ['v03.#.2026', 'v03.a.b.2026', true],
      ['v03.#.2026', 'v03.a.2027', false],
      ['v03.*.invoices.#', 'v03.Archive.invoices', true],
      ['v03.Re: %231', 'v03.Re: %231', true],
    ];
    for (const [key, topic, expected] of cases) assert.equal(topicMatches(key, topic), expected, `${key} ~ ${topic}`);
  });
});
