#!/usr/bin/env node
// The sources are TypeScript compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import { main } from '../dist/lib/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
