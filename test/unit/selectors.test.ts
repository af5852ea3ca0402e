import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectConfigs } from '../../lib/cli/selectors.js';
import type { ConfigId } from '../../lib/config/components.js';
import { UserError } from '../../lib/config/errors.js';

const available: ConfigId[] = [
  { component: 'poll', name: 'mail' }, { component: 'poll', name: 'gmail' },
  { component: 'subscribe', name: 'mail' }, { component: 'subscribe', name: 'invoices' },
];
const labels = (ids: ConfigId[]) => ids.map((id) => `${id.component}/${id.name}`);

describe('config selectors', () => {
  it('selects everything when none is given', () => {
    assert.equal(selectConfigs([], available).length, 4);
  });
  it('matches component/config with or without .conf, and globs', () => {
    assert.deepEqual(labels(selectConfigs(['poll/mail.conf'], available)), ['poll/mail']);
    assert.deepEqual(labels(selectConfigs(['sub*/*'], available)), ['subscribe/mail', 'subscribe/invoices']);
    assert.deepEqual(labels(selectConfigs(['*/*mail'], available)), ['poll/mail', 'poll/gmail', 'subscribe/mail']);
  });
  it('matches a bare name in every component (sr3 would look for flow/<name>)', () => {
    assert.deepEqual(labels(selectConfigs(['mail'], available)), ['poll/mail', 'subscribe/mail']);
  });
  it('fails on a selector that matches nothing, with a suggestion', () => {
    assert.throws(() => selectConfigs(['poll/mial', 'poll/mail'], available), (error: unknown) =>
      error instanceof UserError && /no config matches "poll\/mial" \(did you mean "poll\/mail"\?\)/.test(error.message));
  });
});
