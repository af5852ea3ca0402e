// The browser flow of sr oauth login against the stand-in authorisation server: finished by
// pasting the address the browser ended on (an address of another sign-in refused first), or
// by the browser reaching the loopback listener, PKCE and state checked both ways.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { browserLogin, type LoginIo } from '../../lib/auth/login.js';
import { oauthConfiguration } from '../../lib/auth/oauthClient.js';
import { oauthSettings } from '../../lib/config/oauthProviders.js';
import { type AuthServer, startAuthServer } from '../helpers/authServer.js';

let server: AuthServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/** A terminal: what the login says, and lines typed when the test chooses. */
function terminal(): { io: LoginIo; said: string[]; type: (line: string) => void; saying: (pattern: RegExp) => Promise<string> } {
  const said: string[] = [];
  const typed: string[] = [];
  let wake: () => void = () => undefined;
  const listeners: Array<() => void> = [];
  async function* lines(): AsyncGenerator<string> {
    for (;;) {
      while (typed.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
      yield typed.shift()!;
    }
  }
  return {
    io: { say: (line) => { said.push(line); for (const listener of listeners.splice(0)) listener(); }, lines: lines(), hostName: 'ingest-host' },
    said,
    type: (line) => { typed.push(line); wake(); },
    saying: async (pattern) => {
      for (;;) {
        const found = said.find((line) => pattern.test(line));
        if (found) return found;
        await new Promise<void>((resolve) => listeners.push(resolve));
      }
    },
  };
}

async function loginSetup() {
  server = await startAuthServer();
  const settings = oauthSettings('generic', 'oauth', { oauth2: 'generic', client_id: 'mailpump', token_url: `${server.url}/token`, auth_url: `${server.url}/authorize` });
  return { settings, configuration: await oauthConfiguration(settings) };
}

/** What the provider's consent page would send the browser to. */
async function redirectOf(said: string): Promise<string> {
  const url = /https?:\/\/\S+/.exec(said)![0];
  const response = await fetch(url, { redirect: 'manual' });
  return response.headers.get('location')!;
}

describe('sr oauth login through a browser', () => {
  it('takes the pasted address of the redirect, refusing one whose state is not this sign-in\'s', async () => {
    const { settings, configuration } = await loginSetup();
    const term = terminal();
    const login = browserLogin(configuration, settings, term.io);
    const location = await redirectOf(await term.saying(/^Open this address/));
    assert.match(term.said.join('\n'), /ssh -L (\d+):127\.0\.0\.1:\1 ingest-host/);
    assert.match(term.said.join('\n'), /paste its address here/);
    term.type('not an address');
    await term.saying(/that is not an address/);
    term.type(location.replace(/state=[^&]+/, 'state=forged'));
    await term.saying(/^refused: that address is not from this sign-in/);
    term.type(location);
    const answer = await login;
    assert.match(answer.accessToken, /^valid-oauth-/);
    assert.match(answer.refreshToken ?? '', /^rt-/);
  });

  it('takes the redirect when the browser reaches the loopback listener (here, or through ssh -L)', async () => {
    const { settings, configuration } = await loginSetup();
    const term = terminal();
    const login = browserLogin(configuration, settings, term.io);
    const location = await redirectOf(await term.saying(/^Open this address/));
    const page = await fetch(location);
    assert.match(await page.text(), /you may close this page/);
    assert.match((await login).accessToken, /^valid-oauth-/);
  });
});
