// The first-pass policy of a poll (option firstPass): read, refused with the option named, and
// turned into the SEARCH keys of the first pass together with mailSearch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FirstPassError, firstPassSearch, parseFirstPass } from '../../lib/components/poll/firstPass.js';
import { validateConfig } from '../../lib/components/validate.js';
import { ConfigErrors } from '../../lib/config/errors.js';
import { loadConfig } from '../../lib/config/load.js';
import { ConfigTree } from '../helpers/configTree.js';

describe('firstPass', () => {
  it('reads all, unseen, new and since a day, and refuses anything else', () => {
    assert.deepEqual(parseFirstPass('all'), { kind: 'all' });
    assert.deepEqual(parseFirstPass('since 2026-01-31'), { kind: 'since', date: new Date('2026-01-31T00:00:00Z') });
    for (const wrong of ['some', 'since', 'since 2026-02-30', 'since 31/01/2026', 'new unseen']) assert.throws(() => parseFirstPass(wrong), FirstPassError, wrong);
  });

  it('adds its keys to mailSearch, the later SINCE winning', () => {
    assert.deepEqual(firstPassSearch({ kind: 'unseen' }, { from: 'billing@example.org' }), { from: 'billing@example.org', seen: false });
    const since = { kind: 'since', date: new Date('2026-01-01T00:00:00Z') } as const;
    assert.deepEqual(firstPassSearch(since, { since: new Date('2026-06-01T00:00:00Z') }), { since: new Date('2026-06-01T00:00:00Z') });
    assert.deepEqual(firstPassSearch(since, undefined), { since: since.date });
    assert.equal(firstPassSearch({ kind: 'all' }, undefined), undefined);
  });

  it('is checked with the config: a typo, and unseen or since on a POP3 mailbox, name the line', () => {
    const tree = new ConfigTree();
    try {
      const errors = (lines: string[]) => {
        tree.write('poll/x.conf', lines);
        try {
          validateConfig(loadConfig(tree.paths, { component: 'poll', name: 'x' }));
          return [];
        } catch (error) {
          if (!(error instanceof ConfigErrors)) throw error;
          return error.errors.map((e) => e.message);
        }
      };
      assert.deepEqual(errors(['pollUrl imaps://u@h/', 'firstPass unread']), ['poll/x.conf:2: "firstPass" needs all, unseen, new or since YYYY-MM-DD, got "unread"']);
      assert.deepEqual(errors(['pollUrl pops://u@h/', 'firstPass unseen']), ['poll/x.conf:2: "firstPass unseen" needs IMAP: POP3 knows neither read flags nor arrival dates (pops://u@h/); use all or new']);
      assert.deepEqual(errors(['pollUrl pops://u@h/', 'firstPass new']), []);
    } finally {
      tree.remove();
    }
  });
});
