// The OAuth2 engine against a stand-in authorisation server (test/helpers/authServer.ts):
// the token store's rules (mode, one grant per mailbox), refresh with strict rotation, a
// revoked grant marked for every process and never asked again until a new login, eight
// processes refreshing at once (one refresh), a kill -9 of the process holding the lock,
// and the refusals said in words with the provider's code.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkKeyFiles, oauthConfiguration } from '../../lib/auth/oauthClient.js';
import { OAuthGrantError } from '../../lib/auth/refusals.js';
import { OAuthTokenSource } from '../../lib/auth/tokenSource.js';
import { TokenStore } from '../../lib/auth/tokenStore.js';
import { CredentialsStore } from '../../lib/config/credentials.js';
import type { OAuthSettings } from '../../lib/config/oauthProviders.js';
import { type AuthServer, startAuthServer } from '../helpers/authServer.js';

const CLIENT = fileURLToPath(new URL('../helpers/tokenClient.js', import.meta.url));
const ACCOUNT = 'imaps://oauth@127.0.0.1:993/';
let dir: string;
let server: AuthServer | undefined;
const stores: TokenStore[] = [];

beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-oauth-')); });
afterEach(async () => {
  for (const store of stores.splice(0)) store.close();
  await server?.close();
  server = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** credentials.conf with one generic account on the stand-in server. */
function credentialsFor(auth: AuthServer, extra = ''): string {
  const file = path.join(dir, 'credentials.conf');
  fs.writeFileSync(file, `${ACCOUNT} oauth2=generic, client_id=mailpump, token_url=${auth.url}/token, device_url=${auth.url}/device${extra}\n`, { mode: 0o600 });
  return file;
}

function settingsOf(file: string): OAuthSettings {
  const signIn = CredentialsStore.load(file).signInFor(ACCOUNT, ACCOUNT);
  assert.ok(signIn.kind === 'oauth2' && signIn.provider !== 'command');
  return signIn.settings;
}

function openStore(): TokenStore {
  const store = TokenStore.open(path.join(dir, 'oauth'));
  stores.push(store);
  return store;
}

/** A grant as a login leaves it, its access token already expired: the next use refreshes. */
async function grantWithExpiredToken(auth: AuthServer, store: TokenStore, settings: OAuthSettings): Promise<void> {
  const response = await fetch(`${auth.url}/device`, { method: 'POST', body: 'client_id=mailpump' });
  const device = await response.json() as { device_code: string; user_code: string };
  auth.approve(device.user_code, 'oauth');
  const tokens = await (await fetch(`${auth.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code }) })).json() as { access_token: string; refresh_token: string };
  await store.locked(async (locked) => {
    locked.saveLogin(settings.grantKey, ACCOUNT, settings.provider, { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresInSeconds: 0 }, Date.now() - 1000);
  });
}

const run = promisify(execFile);

describe('the OAuth2 token store and engine', () => {
  it('keeps grants in a 0600 file under a 0700 directory, and refuses one that others can read', () => {
    const store = openStore();
    assert.equal(fs.statSync(path.join(dir, 'oauth')).mode & 0o777, 0o700);
    assert.equal(fs.statSync(store.file).mode & 0o777, 0o600);
    store.close();
    stores.pop();
    fs.chmodSync(path.join(dir, 'oauth'), 0o755);
    assert.throws(() => TokenStore.open(path.join(dir, 'oauth')), /the OAuth token directory can be read by group or others \(mode 0755\).*chmod 700/);
    fs.chmodSync(path.join(dir, 'oauth'), 0o700);
    fs.chmodSync(store.file, 0o644);
    assert.throws(() => TokenStore.open(path.join(dir, 'oauth')), /the OAuth token file can be read by group or others \(mode 0644\).*chmod 600/);
  });

  it('refreshes an expired token, storing each rotated refresh token, so a strict server never sees one twice', async () => {
    server = await startAuthServer({ accessLifetimeS: 3600 });
    const settings = settingsOf(credentialsFor(server));
    const store = openStore();
    await grantWithExpiredToken(server, store, settings);
    const source = new OAuthTokenSource(settings, store, ACCOUNT);
    const first = await source.accessToken();
    assert.equal(server.refreshes, 1);
    assert.equal(await source.accessToken(), first, 'a token with time left is used again, not refreshed');
    assert.equal(server.refreshes, 1);
    const second = await source.accessToken(first); // the mail server refused it: a new one
    assert.notEqual(second, first);
    const third = await source.accessToken(second);
    assert.notEqual(third, second);
    assert.equal(server.refreshes, 3);
    assert.equal(server.reusedRefreshTokens, 0, 'every refresh used the latest refresh token');
    assert.equal(store.read(settings.grantKey)?.refreshCount, 3);
  });

  it('marks a revoked grant for every process, stops asking the endpoint, and goes on after a new login', async () => {
    server = await startAuthServer();
    const settings = settingsOf(credentialsFor(server));
    const store = openStore();
    await grantWithExpiredToken(server, store, settings);
    server.revokeAll();
    const source = new OAuthTokenSource(settings, store, ACCOUNT);
    await assert.rejects(source.accessToken(), (error: unknown) => error instanceof OAuthGrantError && error.refusal === 'reauth'
      && /^imaps:\/\/oauth@127\.0\.0\.1:993\/: the OAuth grant is no longer valid \(invalid_grant: AADSTS50173: The provided grant has expired due to it being revoked\.\)/.test(error.message)
      && error.message.endsWith(`Sign in again with: sr oauth login ${ACCOUNT}`));
    assert.equal(store.read(settings.grantKey)?.state, 'needs_reauth');
    const asked = server.requests.length;
    const other = new OAuthTokenSource(settings, openStore(), ACCOUNT); // another process's view
    await assert.rejects(other.accessToken(), /no longer valid/);
    await assert.rejects(source.accessToken(), /no longer valid/);
    assert.equal(server.requests.length, asked, 'the token endpoint is not asked again for a grant that needs a person');
    await grantWithExpiredToken(server, store, settings); // sr oauth login
    assert.equal(store.read(settings.grantKey)?.state, 'ok');
    assert.equal(store.read(settings.grantKey)?.generation, 2);
    assert.match(await source.accessToken(), /^valid-oauth-/);
  });

  it('says a wrong client secret with the provider\'s code and where to make a new one', async () => {
    server = await startAuthServer({ clientSecret: 'right' });
    const file = path.join(dir, 'credentials.conf');
    fs.writeFileSync(file, `${ACCOUNT} oauth2=generic, client_id=mailpump, token_url=${server.url}/token, client_secret=wrong\n`, { mode: 0o600 });
    const source = new OAuthTokenSource(settingsOf(file), openStore(), ACCOUNT);
    await assert.rejects(source.accessToken(), (error: unknown) => error instanceof OAuthGrantError && error.refusal === 'config'
      && /the token endpoint refused the client \(invalid_client: AADSTS7000215: .*\): the client secret is wrong: make a new one in Entra/.test(error.message)
      && !error.message.includes('wrong,') && !/client_secret=wrong/.test(error.message));
    fs.writeFileSync(file, `${ACCOUNT} oauth2=generic, client_id=mailpump, token_url=${server.url}/token, client_secret=right\n`, { mode: 0o600 });
    const fixed = new OAuthTokenSource(settingsOf(file), openStore(), ACCOUNT);
    assert.match(await fixed.accessToken(), /^valid-oauth-/, 'an app-only grant needs no login: the token comes from the client\'s secret');
  });

  it('signs the client\'s assertion with its certificate (Entra app-only), thumbprint in the header, and refuses a key others can read', async () => {
    const pem = path.join(dir, 'app.pem');
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=mailpump-app', '-days', '2']);
    fs.writeFileSync(pem, fs.readFileSync(key, 'utf8') + fs.readFileSync(cert, 'utf8'), { mode: 0o600 });
    server = await startAuthServer({ clientCertificate: fs.readFileSync(cert, 'utf8') });
    const file = path.join(dir, 'credentials.conf');
    fs.writeFileSync(file, `${ACCOUNT} oauth2=generic, client_id=mailpump-app, token_url=${server.url}/token, client_certificate=${pem}\n`, { mode: 0o600 });
    assert.match(await new OAuthTokenSource(settingsOf(file), openStore(), ACCOUNT).accessToken(), /^valid-oauth-/);
    fs.chmodSync(pem, 0o640);
    assert.throws(() => checkKeyFiles(settingsOf(file)), /app\.pem can be read by group or others \(mode 0640\); it holds a private key.*chmod 600/, 'said by sr start');
  });

  it('finds the endpoints by discovery from the issuer', async () => {
    server = await startAuthServer({ clientSecret: 'disc' });
    const file = path.join(dir, 'credentials.conf');
    fs.writeFileSync(file, `${ACCOUNT} oauth2=generic, client_id=mailpump, issuer=${server.url}/realm, client_secret=disc\n`, { mode: 0o600 });
    const settings = settingsOf(file);
    assert.deepEqual(settings.flows, ['device', 'browser']);
    const configuration = await oauthConfiguration(settings);
    assert.equal(configuration.serverMetadata().device_authorization_endpoint, `${server.url}/device`);
    assert.equal(configuration.serverMetadata().revocation_endpoint, `${server.url}/revoke`);
  });

  it('refreshes once for eight processes that all find the token expired at the same moment', async () => {
    server = await startAuthServer({ refreshDelayMs: 300 });
    const file = credentialsFor(server);
    const settings = settingsOf(file);
    const store = openStore();
    await grantWithExpiredToken(server, store, settings);
    const results = await Promise.all(Array.from({ length: 8 }, () => run(process.execPath, [CLIENT, 'token', file, ACCOUNT], { env: { ...process.env, SR_OAUTH_DIR: path.join(dir, 'oauth') } })));
    const hashes = results.map((result) => result.stdout.trim());
    assert.equal(server.refreshes, 1, 'one refresh for all eight');
    assert.equal(new Set(hashes).size, 1, `every process got the one new token: ${hashes.join(' ')}`);
    assert.match(hashes[0]!, /^[0-9a-f]{64}$/);
  });

  it('goes on at once when the process holding the lock is killed -9: no stale lock', async () => {
    server = await startAuthServer();
    const file = credentialsFor(server);
    const settings = settingsOf(file);
    await grantWithExpiredToken(server, openStore(), settings);
    const env = { ...process.env, SR_OAUTH_DIR: path.join(dir, 'oauth') };
    const holder = spawn(process.execPath, [CLIENT, 'hold', file], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('locked')) resolve(); }));
    const waiter = run(process.execPath, [CLIENT, 'token', file, ACCOUNT], { env });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(server.refreshes, 0, 'the waiter waits while the lock is held');
    holder.kill('SIGKILL');
    const { stdout } = await waiter;
    assert.match(stdout, /^[0-9a-f]{64}$/m);
    assert.equal(server.refreshes, 1);
  });
});
