// Prints docs/options.md from the option table, or its French twin docs/fr/options.md
// with the argument fr: npm run docs:options writes both.
import { type Language, renderOptionsDoc } from '../lib/config/optionsDoc.js';

process.stdout.write(renderOptionsDoc(process.argv[2] === 'fr' ? 'fr' : 'en' satisfies Language));
