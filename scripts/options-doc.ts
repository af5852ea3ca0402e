// Prints docs/options.md from the option table: npm run docs:options
import { renderOptionsDoc } from '../lib/config/optionsDoc.js';

process.stdout.write(renderOptionsDoc());
