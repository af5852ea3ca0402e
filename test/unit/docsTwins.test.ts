// The documentation in two languages: every English page a user reads has its French twin,
// each links to the other, and both name the same options (so a French reader is not told
// of fewer knobs, or of old ones). The engineers' records (decisions, performance) are
// English only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { OPTIONS } from '../../lib/config/options.js';
import { REPO } from '../helpers/sandbox.js';

const ENGLISH_ONLY = new Set(['decisions.md', 'performance.md']);
const OPTION_WORDS = new Set(OPTIONS.flatMap((spec) => [spec.name, ...(spec.aliases ?? [])]));

interface Pair {
  readonly english: string;
  readonly french: string;
  /** how each names the other in its link */
  readonly toFrench: string;
  readonly toEnglish: string;
}

function pairs(): Pair[] {
  const docs = path.join(REPO, 'docs');
  const pages = fs.readdirSync(docs).filter((name) => name.endsWith('.md') && !ENGLISH_ONLY.has(name)).sort();
  return [
    { english: path.join(REPO, 'README.md'), french: path.join(REPO, 'README.fr.md'), toFrench: '(README.fr.md)', toEnglish: '(README.md)' },
    ...pages.map((name) => ({ english: path.join(docs, name), french: path.join(docs, 'fr', name), toFrench: `(fr/${name})`, toEnglish: `(../${name})` })),
  ];
}

/** Option names a page uses: in inline code (`sleep 60`) and at the start of lines of its code blocks. */
export function optionsNamed(markdown: string): Set<string> {
  const found = new Set<string>();
  const consider = (text: string) => {
    for (const word of text.split(/[^A-Za-z0-9_]+/)) if (OPTION_WORDS.has(word)) found.add(word);
  };
  const blocks = markdown.split(/^```.*$/m);
  blocks.forEach((block, index) => {
    if (index % 2 === 1) {
      for (const line of block.split('\n')) consider(line.trim().split(/\s/)[0] ?? '');
    } else {
      for (const match of block.matchAll(/`([^`\n]+)`/g)) consider(match[1]!.trim().split(/\s/)[0] ?? '');
    }
  });
  return found;
}

describe('the documentation in English and French', () => {
  it('has a French twin for every English page a user reads, each linking to the other', () => {
    for (const pair of pairs()) {
      const shown = path.relative(REPO, pair.english);
      assert.ok(fs.existsSync(pair.french), `${shown} has no French twin ${path.relative(REPO, pair.french)}`);
      const [english, french] = [fs.readFileSync(pair.english, 'utf8'), fs.readFileSync(pair.french, 'utf8')];
      assert.ok(english.includes(pair.toFrench), `${shown} links to its French twin`);
      assert.ok(french.includes(pair.toEnglish), `${path.relative(REPO, pair.french)} links to its English twin`);
      assert.notEqual(french, english, `${path.relative(REPO, pair.french)} is translated`);
    }
  });

  it('has no French page without its English one', () => {
    for (const name of fs.readdirSync(path.join(REPO, 'docs', 'fr')).filter((n) => n.endsWith('.md'))) {
      assert.ok(fs.existsSync(path.join(REPO, 'docs', name)), `docs/fr/${name} has no English twin docs/${name}`);
    }
  });

  it('names the same options in both languages', () => {
    for (const pair of pairs()) {
      const english = optionsNamed(fs.readFileSync(pair.english, 'utf8'));
      const french = optionsNamed(fs.readFileSync(pair.french, 'utf8'));
      const only = (a: Set<string>, b: Set<string>) => [...a].filter((word) => !b.has(word)).sort();
      assert.deepEqual({ onlyInEnglish: only(english, french), onlyInFrench: only(french, english) }, { onlyInEnglish: [], onlyInFrench: [] },
        `${path.relative(REPO, pair.english)} and its French twin`);
    }
  });

  it('counts an option in inline code and at the start of a code block line, not in prose', () => {
    assert.deepEqual([...optionsNamed('Use `sleep 60` or\n```\nbatch 10\n# idle\n```\nthe folder')].sort(), ['batch', 'sleep']);
  });
});
