import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { OPTIONS } from '../../lib/config/options.js';
import { renderOptionsDoc } from '../../lib/config/optionsDoc.js';
import { REPO } from '../helpers/sandbox.js';

describe('docs/options.md', () => {
  it('is what the option table generates (run npm run docs:options after changing the table)', () => {
    assert.equal(fs.readFileSync(path.join(REPO, 'docs', 'options.md'), 'utf8'), renderOptionsDoc());
    assert.equal(fs.readFileSync(path.join(REPO, 'docs', 'fr', 'options.md'), 'utf8'), renderOptionsDoc('fr'));
  });
  it('documents every option and alias once', () => {
    const names = OPTIONS.flatMap((spec) => [spec.name, ...(spec.aliases ?? [])]);
    assert.equal(new Set(names).size, names.length, 'a name is used twice in the table');
    for (const spec of OPTIONS) {
      assert.ok(spec.help.length > 10, `${spec.name} needs a help line`);
      assert.ok(spec.helpFr.length > 10 && spec.helpFr !== spec.help, `${spec.name} needs its help line in French (helpFr)`);
    }
  });
});
