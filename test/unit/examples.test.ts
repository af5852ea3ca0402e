import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { validateConfig } from '../../lib/components/validate.js';
import { configsIn, EXAMPLES_DIR } from '../../lib/config/catalog.js';
import { configLabel } from '../../lib/config/components.js';
import { loadConfig } from '../../lib/config/load.js';
import { ConfigTree } from '../helpers/configTree.js';

describe('the example configs (sr list examples)', () => {
  const examples = configsIn(EXAMPLES_DIR);

  it('include the sr3 names and one of each kind of mailbox', () => {
    const labels = examples.map(configLabel);
    for (const label of ['poll/mail', 'poll/imaps-tree', 'poll/pop3s', 'poll/gmail', 'poll/office365', 'subscribe/mail', 'subscribe/cold-import']) assert.ok(labels.includes(label), label);
  });

  for (const id of examples) {
    it(`${configLabel(id)} reads and validates without an error`, () => {
      const tree = new ConfigTree();
      try {
        tree.write(`${id.component}/${id.name}.conf`, fs.readFileSync(path.join(EXAMPLES_DIR, id.component, `${id.name}.conf`), 'utf8'));
        validateConfig(loadConfig(tree.paths, id));
      } finally {
        tree.remove();
      }
    });
  }
});
