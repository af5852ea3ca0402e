// Run by `npm ci` (the prepare script) before the build: better-sqlite3 is an optional
// dependency only so that a failed build of its native part does not end `npm ci` with
// node-gyp's pages of output and nothing else; here it is required, and its absence is said
// with what to do. Plain JavaScript: it runs before anything is compiled.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  const Database = require('better-sqlite3');
  new Database(':memory:').close();
} catch (error) {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  console.error(`
mailpump needs better-sqlite3, and it is not usable here: ${reason}

Where no prebuilt binary can be downloaded (a host that reaches only a package-registry
mirror), better-sqlite3 is built from source, which needs a C++ compiler, make, python3 and
Node's headers. When the distribution ships the headers (Debian: /usr/include/node, package
libnode-dev or nodejs), point npm at them and install again:

    npm ci --nodedir=/usr

(or once for good: npm config set nodedir /usr). To see the build's own error:
npm ci --foreground-scripts. docs/installation.md says more.
`);
  process.exit(1);
}
