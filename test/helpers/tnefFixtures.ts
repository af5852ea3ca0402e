// The TNEF samples of test/fixtures/tnef and what is inside them (see its README).
import fs from 'node:fs';
import path from 'node:path';
import type { ExpectedFile } from './mailCorpus.js';
import { REPO } from './sandbox.js';

export function tnefFixture(name: string): Buffer {
  return fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'tnef', name));
}

export const TNEF_FILES: readonly ExpectedFile[] = [
  { name: 'zappa_av1.jpg', sha256: 'bea844f30e0fcc20fad419a0d11032a6465da93c1da185a1196949955994409a' },
  { name: 'bookmark.htm', sha256: '1e08d6e23c75ff80ac992eebc24c2943c7843b7dfee235966b37de5eb4362599' },
];
