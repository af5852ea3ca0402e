// sr oauth status: each OAuth2 account of credentials.conf with its grant, exit 1 when one
// needs a person, and the warning before a provider ends a grant nobody has used.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { TokenStore } from '../../lib/auth/tokenStore.js';
import { oauthStatusAction } from '../../lib/cli/actions/oauth.js';
import type { CliContext } from '../../lib/cli/context.js';
import { CredentialsStore } from '../../lib/config/credentials.js';
import { ConfigTree } from '../helpers/configTree.js';

const MICROSOFT = 'imaps://ingest%40contoso.com@outlook.office365.com:993/';
const APP = 'pops://svc%40contoso.com@outlook.office365.com:995/';

describe('sr oauth status', () => {
  it('lists each account\'s grant, warns of one unused for 60 days, and fails while one has no grant', async () => {
    const tree = new ConfigTree();
    try {
      const file = tree.write('credentials.conf', [
        `${MICROSOFT} oauth2=microsoft, tenant=contoso.onmicrosoft.com, client_id=2f1c`,
        `${APP} oauth2=microsoft-app, tenant=contoso.onmicrosoft.com, client_id=9a9a, client_secret=Secret%2Cvalue`,
        'imaps://helper@mail.example.org/ oauth2=command, command=/usr/local/bin/mail-token',
      ], 0o600);
      const out: string[] = [];
      const context: CliContext = { paths: tree.paths, commandLine: [], out: (line) => out.push(line), err: (line) => out.push(line) };
      assert.equal(await oauthStatusAction(context, false), 1, 'the delegated account has no grant yet');
      assert.match(out.join('\n'), new RegExp(`${MICROSOFT.replace(/[/.]/g, '\\$&')} \\(microsoft, credentials\\.conf line 1\\): no grant yet: sign in with: sr oauth login ${MICROSOFT.replace(/[/.]/g, '\\$&')}`));
      assert.match(out.join('\n'), /svc%40contoso\.com.*\(microsoft-app, credentials\.conf line 2\): gets its tokens by itself/);
      assert.match(out.join('\n'), /helper@mail\.example\.org:993\/ \(command, credentials\.conf line 3\): tokens from its command/);
      assert.ok(!out.join('\n').includes('Secret,value'));

      const signIn = CredentialsStore.load(file).signInFor(MICROSOFT, MICROSOFT);
      assert.ok(signIn.kind === 'oauth2' && signIn.provider === 'microsoft');
      const store = TokenStore.open(path.join(tree.paths.configDir, 'oauth'));
      const seventyDaysAgo = Date.now() - 70 * 86_400_000;
      await store.locked(async (locked) => {
        locked.saveLogin(signIn.settings.grantKey, MICROSOFT, 'microsoft', { accessToken: 'at', refreshToken: 'rt', expiresInSeconds: 3600 }, seventyDaysAgo);
      });
      store.close();
      out.length = 0;
      assert.equal(await oauthStatusAction(context, false), 0);
      assert.match(out.join('\n'), /\(microsoft, credentials\.conf line 1\): ok, access token expired .*WARNING: not refreshed for 70 days: the provider ends a grant unused for about 90 days/);
      out.length = 0;
      assert.equal(await oauthStatusAction(context, true), 0);
      const json = JSON.parse(out.join('\n')) as Array<{ account: string; state: string; refreshTokenAgeDays?: number; warning?: string }>;
      assert.deepEqual(json.map((row) => row.state), ['ok', 'app', 'command']);
      assert.equal(json[0]?.refreshTokenAgeDays, 70);
      assert.doesNotMatch(out.join('\n'), /"at"|"rt"/, 'no token in the JSON');
    } finally {
      tree.remove();
    }
  });
});
