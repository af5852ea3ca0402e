// A person signs in once (`sr oauth login`), on a host that has no browser: the device code
// flow (the provider's page and a code, on any device), or the browser flow with PKCE on a
// loopback port, finished either through an `ssh -L` tunnel or by pasting the address the
// browser ended on (../shared/reference/oauth.md 4.5). Either way the answer is checked by
// openid-client (state, PKCE) and handed back, to be stored by the caller.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { UserError } from '../config/errors.js';
import type { OAuthSettings } from '../config/oauthProviders.js';
import { tokenAnswer } from './oauthClient.js';
import type { TokenAnswer } from './tokenStore.js';

export class LoginError extends UserError {}

export interface LoginIo {
  /** a line for the person at the terminal */
  readonly say: (line: string) => void;
  /** lines the person types or pastes (the browser flow's redirected address), until the login ends */
  readonly lines: AsyncIterable<string>;
  /** the host's name, for the ssh -L line */
  readonly hostName: string;
}

/** Device code (RFC 8628): the provider's own words say where to go and what to type; the answer is waited for. */
export async function deviceLogin(config: client.Configuration, settings: OAuthSettings, io: LoginIo): Promise<TokenAnswer> {
  if (!config.serverMetadata().device_authorization_endpoint) throw new LoginError(`${settings.provider}: the provider has no device code endpoint: use --flow browser`);
  const started = await client.initiateDeviceAuthorization(config, { scope: settings.scope });
  const message = typeof started.message === 'string' ? started.message
    : `To sign in, open ${started.verification_uri} in a browser on any device and enter the code ${started.user_code}`;
  io.say(message);
  io.say(`waiting for the sign-in (the code is good for ${Math.round(started.expires_in / 60)} min)...`);
  return tokenAnswer(await client.pollDeviceAuthorizationGrant(config, started));
}

/**
 * Authorization code with PKCE on a loopback redirect. The redirect is taken from whichever
 * comes first: the browser reaching the listener (on this host, or through a tunnel), or its
 * address pasted at the terminal. An address whose state is not this login's is refused, and
 * the login waits on.
 */
export async function browserLogin(config: client.Configuration, settings: OAuthSettings, io: LoginIo): Promise<TokenAnswer> {
  if (!config.serverMetadata().authorization_endpoint) throw new LoginError(`${settings.provider}: the provider has no authorisation endpoint: use --flow device`);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  let deliver: (url: URL) => void = () => undefined;
  const server = http.createServer((request, response) => {
    if (!(request.url ?? '/').startsWith('/?')) { // a browser asks for /favicon.ico too
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('mailpump: you may close this page and go back to the terminal.\n');
    deliver(new URL(request.url ?? '/', redirectBase));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new LoginError(`cannot listen on 127.0.0.1:${settings.loginPort ?? 0} for the browser's redirect: ${error.message}`)));
    server.listen(settings.loginPort ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  // Entra registers loopback redirects as http://localhost (any port); Google takes the address.
  const redirectBase = settings.provider === 'microsoft' ? `http://localhost:${port}/` : `http://127.0.0.1:${port}/`;
  try {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectBase, scope: settings.scope, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
      ...(settings.provider === 'google' ? { access_type: 'offline', prompt: 'consent' } : {}),
    });
    io.say(`Open this address in a browser and sign in:\n  ${url.href}`);
    io.say(`If the browser is on another machine, first run there: ssh -L ${port}:127.0.0.1:${port} ${io.hostName}`);
    io.say('Or, if the browser ends on a page that cannot be reached, paste its address here:');
    const pasted = io.lines[Symbol.asyncIterator]();
    let pendingLine: Promise<IteratorResult<string>> | undefined;
    for (;;) {
      pendingLine ??= pasted.next();
      const got = await Promise.race([
        pendingLine.then((line) => ({ line })),
        new Promise<{ url: URL }>((resolve) => { deliver = (url) => resolve({ url }); }),
      ]);
      let redirect: URL;
      if ('url' in got) {
        redirect = got.url;
      } else {
        pendingLine = undefined;
        if (got.line.done) throw new LoginError('the sign-in was abandoned (end of input)');
        try {
          redirect = new URL(got.line.value.trim());
        } catch {
          io.say('that is not an address: paste the whole address from the browser');
          continue;
        }
      }
      if (redirect.searchParams.get('state') !== state) {
        io.say('refused: that address is not from this sign-in (its state does not match); paste the address of this one');
        continue;
      }
      const answer = await client.authorizationCodeGrant(config, new URL(`${redirectBase}?${redirect.searchParams.toString()}`), { pkceCodeVerifier: verifier, expectedState: state });
      return tokenAnswer(answer);
    }
  } finally {
    server.close();
  }
}
