// Prints docs/sr3.md from the vendored sr3's keywords and mailpump's tables, or its French
// twin docs/fr/sr3.md with the argument fr: npm run docs:sr3 writes both.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSr3Doc } from '../lib/config/sr3Doc.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const keywords = execFileSync('/usr/bin/python3', [path.join(repo, 'scripts', 'sr3-keywords.py'), path.join(repo, '..', 'shared', 'vendor', 'sr3')], { encoding: 'utf8' }).trim().split('\n');
process.stdout.write(renderSr3Doc(keywords, process.argv[2] === 'fr' ? 'fr' : 'en'));
