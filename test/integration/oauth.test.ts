// OAuth2 sign-in on the bench Dovecot, whose oauth2 passdb asks a token stub
// (test/bench/tokenStub.ts). With oauth2=command (a helper program prints the access token):
// IMAP through sr, POP3 with SASL OAUTHBEARER, a refused token and a failing helper said for
// what they are. With the engine, against a stand-in authorisation server
// (test/helpers/authServer.ts): sr oauth login by device code, IMAPS and IMAP+STARTTLS
// through sr while short-lived tokens expire and rotate, a revoked grant shown by sr status
// and cleared by a new login without a restart, POP3S and POP3+STLS with both mechanisms;
// and never a token or a secret in a log, sr show or an argument list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { accountSignIn, mailAccount } from '../../lib/mail/account.js';
import { Pop3Client, Pop3Error } from '../../lib/mail/pop3/pop3Client.js';
import { CredentialsStore } from '../../lib/config/credentials.js';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, emptyFolder, listMessages } from '../bench/mailbox.js';
import { testToken } from '../bench/tokenStub.js';
import { baseName, sha256Of, walk } from '../helpers/files.js';
import { corpusMessage } from '../helpers/mailCorpus.js';
import { Sandbox, type SrResult, waitFor, waitUntil } from '../helpers/sandbox.js';
import { type AuthServer, startAuthServer } from '../helpers/authServer.js';

let bench: Bench;
let box: Sandbox;
before(async () => { bench = await getBench(); });
beforeEach(async () => {
  box = new Sandbox();
  await emptyFolder(bench, 'oauth', 'INBOX');
});
afterEach(() => box.cleanup());

/** A helper program that prints `line` (or fails, saying so on stderr), as a token helper would. */
function helper(name: string, script: string): string {
  const file = path.join(box.home, name);
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o700 });
  return file;
}

describe('OAuth2 with a token command', () => {
  it('polls and ingests an IMAP mailbox signed in with tokens, and says why when the token or the helper fails', { timeout: 120_000 }, async () => {
    const token = testToken('oauth');
    const good = helper('token.sh', `echo ${token}`);
    const port = bench.dovecot.ports.imaps;
    const url = `imaps://oauth@127.0.0.1:${port}/`;
    box.writeConfig('credentials.conf', `${url} oauth2=command, command=${good} --account oauth\n`);
    const folder = `oa${Date.now().toString(36)}`;
    const message = corpusMessage(4, folder);
    await appendMessages(bench, 'oauth', folder, [message.raw]);
    const files = path.join(box.home, 'files');
    const common = [`tlsCa ${bench.dovecot.caCert}`, 'metrics_writeInterval 1s'];
    box.writeConfig('poll/mail.conf', ['callback poll.mail', ...common, 'sleep 1s', `pollUrl ${url}`, `folder ${folder}`].join('\n'));
    box.writeConfig('subscribe/mail.conf', ['callback download.mail_ingest', ...common, `directory ${files}`, `mailAction move ${folder}-done`].join('\n'));
    const started = box.sr(['start']);
    assert.equal(started.code, 0, started.stderr);
    await waitFor(() => walk(files).filter((file) => !file.startsWith('.')).length === message.files.length, 60000, 'the files');
    assert.deepEqual(walk(files).filter((file) => !file.startsWith('.')).map((file) => `${baseName(file)} ${sha256Of(path.join(files, file))}`).sort(),
      message.files.map((file) => `${file.name} ${file.sha256}`).sort());
    for (const deadline = Date.now() + 30000; (await listMessages(bench, 'oauth', folder)).length > 0;) {
      if (Date.now() > deadline) throw new Error('the message was not moved');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal((await listMessages(bench, 'oauth', `${folder}-done`)).length, 1, 'moved by the subscribe, signed in with a token too');
    assert.equal(box.sr(['stop']).code, 0);

    // A token the server refuses, then a helper that fails: each said as such, in sr status too.
    for (const [script, said] of [
      ['echo not-a-valid-token', /login refused for oauth@127\.0\.0\.1: Authentication failed\., with an OAuth2 token just issued \(credentials\.conf line 1\): the grant is good, the mail server refuses it\. Likely: IMAP or POP not enabled/],
      ['echo "no grant for oauth: run the login first" >&2; exit 3', /the token command \S+token-bad\.sh failed \(exit 3\): no grant for oauth: run the login first/],
    ] as const) {
      const bad = helper('token-bad.sh', script);
      box.writeConfig('credentials.conf', `${url} oauth2=command, command=${bad}\n`);
      assert.equal(box.sr(['start', 'poll/mail']).code, 0);
      await waitFor(() => box.sr(['status', 'poll/mail']).code === 1, 30000, 'sr status to report the failure');
      assert.match(box.sr(['status', 'poll/mail']).stdout, said);
      assert.equal(box.sr(['stop', 'poll/mail']).code, 0);
    }
    const logs = walk(path.join(box.cacheDir, 'log')).map((file) => fs.readFileSync(path.join(box.cacheDir, 'log', file), 'utf8')).join('');
    assert.doesNotMatch(logs, new RegExp(token), 'the token is never logged');
    assert.doesNotMatch(logs, /oauth-password-unused/);
  });

  it('signs in to POP3 with SASL OAUTHBEARER, and shows the server\'s refusal of a bad token', async () => {
    await appendMessages(bench, 'oauth', 'INBOX', [corpusMessage(5, 'pop').raw]);
    const port = bench.dovecot.ports.pop3s;
    const tls = { required: true, verify: true, ca: [fs.readFileSync(bench.dovecot.caCert)] };
    const credentialsFile = box.writeConfig('credentials.conf', [
      `pops://oauth@127.0.0.1:${port}/ oauth2=command, command=${helper('pop-token.sh', `echo ${testToken('oauth')}`)}`,
      `pop://oauth@127.0.0.1:${bench.dovecot.ports.pop3}/ oauth2=command, command=${helper('pop-bad.sh', 'echo valid-someoneelse-123')}`,
    ].join('\n'));
    const credentials = CredentialsStore.load(credentialsFile);
    const account = mailAccount(`pops://oauth@127.0.0.1:${port}/`);
    const client = await Pop3Client.connect({ account, ...accountSignIn(account, credentials), tls, timeoutMs: 10000 });
    try {
      assert.equal((await client.uidl()).length, 1);
    } finally {
      await client.quit();
    }
    const other = mailAccount(`pop://oauth@127.0.0.1:${bench.dovecot.ports.pop3}/`);
    await assert.rejects(Pop3Client.connect({ account: other, ...accountSignIn(other, credentials), tls, timeoutMs: 10000 }),
      (error: unknown) => error instanceof Pop3Error && error.kind === 'auth' && /refused the OAuth2 token for oauth \(AUTH (OAUTHBEARER|XOAUTH2)\)/.test(error.message));
  });
});

/** `sr oauth login <account>` as a person runs it: the code it prints is approved at the stand-in server. */
async function deviceLogin(auth: AuthServer, account: string): Promise<SrResult> {
  return box.srAsync(['oauth', 'login', account], (stdout) => {
    const code = /enter the code ([0-9A-F]+)/.exec(stdout)?.[1];
    if (code) auth.approve(code, 'oauth');
  });
}

/** The bench Dovecot's log: its login lines say which SASL mechanism each sign-in used. */
function dovecotLog(): string {
  return fs.readFileSync(path.join(bench.dovecot.dir, 'dovecot.log'), 'utf8');
}

/** Everything mailpump wrote where a person or another user could read it. */
function everythingSaid(extra: string[]): string {
  const logDir = path.join(box.cacheDir, 'log');
  const logs = fs.existsSync(logDir) ? walk(logDir).map((file) => fs.readFileSync(path.join(logDir, file), 'utf8')).join('') : '';
  return [logs, ...extra].join('\n');
}

describe('OAuth2 with the engine and sr oauth', () => {
  let auth: AuthServer;
  afterEach(async () => { await auth?.close(); });

  it('signs in by device code, ingests over IMAPS and IMAP+STARTTLS while tokens expire, and waits out a revoked grant until a new login', { timeout: 240_000 }, async () => {
    auth = await startAuthServer({ accessLifetimeS: 8 });
    const logStart = dovecotLog().length;
    const { imaps, imap } = bench.dovecot.ports;
    const secret = 's3cr3t-public-client';
    const line = (url: string) => `${url} oauth2=generic, client_id=mailpump, token_url=${auth.url}/token, device_url=${auth.url}/device, revoke_url=${auth.url}/revoke, client_secret=${secret}, tlsCa=${bench.dovecot.caCert}`;
    const secureUrl = `imaps://oauth@127.0.0.1:${imaps}/`;
    const startTlsUrl = `imap://oauth@127.0.0.1:${imap}/`;
    // IMAPS with imapflow's choice (OAUTHBEARER), IMAP+STARTTLS with XOAUTH2 asked for.
    box.writeConfig('credentials.conf', `${line(secureUrl)}\n${line(startTlsUrl)}, sasl=xoauth2\n`);
    const stamp = Date.now().toString(36);
    const [secureFolder, startTlsFolder] = [`os${stamp}`, `ot${stamp}`];
    const files = path.join(box.home, 'files');
    const common = ['metrics_writeInterval 1s'];
    box.writeConfig('poll/secure.conf', ['callback poll.mail', ...common, 'sleep 1s', `pollUrl ${secureUrl}`, `folder ${secureFolder}`].join('\n'));
    box.writeConfig('poll/starttls.conf', ['callback poll.mail', ...common, 'sleep 1s', `pollUrl ${startTlsUrl}`, `folder ${startTlsFolder}`].join('\n'));
    box.writeConfig('subscribe/mail.conf', ['callback download.mail_ingest', ...common, `directory ${files}`, 'mailAction move done'].join('\n'));

    const refused = await box.srAsync(['start']);
    assert.equal(refused.code, 1, 'sr start refuses an account that has no grant yet');
    assert.match(refused.stderr, new RegExp(`no OAuth grant for ${secureUrl.replace(/[/.]/g, '\\$&')} yet: .*sr oauth login ${secureUrl.replace(/[/.]/g, '\\$&')}`));
    assert.equal((await box.srAsync(['oauth', 'status'])).code, 1);

    const login = await deviceLogin(auth, secureUrl);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /To sign in, open http:\/\/127\.0\.0\.1:\d+\/activate .* enter the code [0-9A-F]+/);
    assert.match(login.stdout, new RegExp(`ok: ${secureUrl.replace(/[/.]/g, '\\$&')}: the mail server took the token`));
    const status = await box.srAsync(['oauth', 'status']);
    assert.equal(status.code, 0, `imaps:// and imap:// of one mailbox share the grant: ${status.stdout}`);
    assert.equal(status.stdout.trim().split('\n').filter((row) => /: ok, access token good for/.test(row)).length, 2, status.stdout);

    assert.equal((await box.srAsync(['start'])).code, 0);
    // Mail arrives over 15 s: tokens of 8 s expire and are refreshed, with rotation, several times.
    const sent: ReturnType<typeof corpusMessage>[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (const folder of [secureFolder, startTlsFolder]) {
        const message = corpusMessage(4 + sent.length, `${folder}-${round}`);
        sent.push(message);
        await appendMessages(bench, 'oauth', folder, [message.raw]);
      }
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    const expected = sent.flatMap((message) => message.files.map((file) => `${file.name} ${file.sha256}`)).sort();
    const written = () => walk(files).filter((file) => !file.startsWith('.') && !file.includes('/.')).map((file) => `${baseName(file)} ${sha256Of(path.join(files, file))}`).sort();
    await waitFor(() => written().length >= expected.length, 60000, 'every file');
    assert.deepEqual(written(), expected, 'each file once, byte-exact');
    assert.ok(auth.refreshes >= 2, `tokens were refreshed as they expired (${auth.refreshes} refreshes)`);
    assert.equal(auth.reusedRefreshTokens, 0, 'no process ever sent a refresh token that had been rotated away');
    assert.match(dovecotLog().slice(logStart), /imap-login: Info: Login: user=<oauth>, method=OAUTHBEARER/);
    assert.match(dovecotLog().slice(logStart), /imap-login: Info: Login: user=<oauth>, method=XOAUTH2/);

    // The grant is revoked (a password change, an admin): shown, nothing lost, and resumed by a new login.
    auth.revokeAll();
    // Waited for as a whole: on a loaded machine a status may first fail for a reason of its
    // own (a pass still running late).
    // The two URLs share one grant: the poll whose token runs out first finds it revoked, and
    // its URL is the one the hint names (both polls start together); either login renews it.
    const escaped = (url: string) => url.replace(/[/.]/g, '\\$&');
    const revoked = new RegExp(`the OAuth grant is no longer valid \\(invalid_grant: .*\\)\\. Sign in again with: sr oauth login (${escaped(secureUrl)}|${escaped(startTlsUrl)})`);
    let lastStatus = '';
    await waitUntil(async () => {
      const status = await box.srAsync(['status', 'poll/secure']);
      lastStatus = `exit ${status.code}: ${status.stdout}${status.stderr}`;
      return status.code === 1 && revoked.test(status.stdout);
    }, 60000, 'sr status to show the revoked grant').catch((error: Error) => {
      throw new Error(`${error.message}; the last sr status said ${lastStatus}`);
    });
    const needing = await box.srAsync(['oauth', 'status']);
    assert.equal(needing.code, 1);
    assert.match(needing.stdout, /NEEDS A NEW SIGN-IN/);
    const late = corpusMessage(20, `${secureFolder}-late`);
    await appendMessages(bench, 'oauth', secureFolder, [late.raw]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal((await listMessages(bench, 'oauth', secureFolder)).length, 1, 'the late message waits on the server');
    const again = await deviceLogin(auth, secureUrl);
    assert.equal(again.code, 0, again.stderr);
    await waitFor(() => written().length === expected.length + late.files.length, 60000, 'the late message, without a restart');
    await waitUntil(async () => (await box.srAsync(['status', 'poll/secure'])).code === 0, 60000, 'sr status well again');

    const shown = await box.srAsync(['show', 'poll/secure']);
    const cmdlines = ['poll/secure', 'poll/starttls', 'subscribe/mail'].map((config) => {
      const [component = '', name = ''] = config.split('/');
      return fs.readFileSync(`/proc/${box.pidOf(component, name, 1)}/cmdline`, 'utf8');
    });
    assert.equal((await box.srAsync(['stop'])).code, 0);
    const logout = await box.srAsync(['oauth', 'logout', secureUrl]);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /signed out, the grant removed; revoked at the provider/);
    assert.equal(auth.revocations, 1, 'the refresh token revoked at the provider');
    const after = await box.srAsync(['oauth', 'status']);
    assert.equal(after.code, 1);
    assert.match(after.stdout, /no grant yet: sign in with: sr oauth login/);
    const said = everythingSaid([login.stdout, login.stderr, again.stdout, again.stderr, status.stdout, needing.stdout, shown.stdout, shown.stderr, logout.stdout, after.stdout, ...cmdlines]);
    assert.doesNotMatch(said, /valid-oauth-e\d+r/, 'no access token anywhere');
    assert.doesNotMatch(said, /rt-[0-9a-f]{24}/, 'no refresh token anywhere');
    assert.ok(!said.includes(secret), 'no client secret anywhere');
  });

  it('signs in to POP3S and POP3+STLS with XOAUTH2 and OAUTHBEARER on app-only tokens, and says a fresh token refused for what it is', { timeout: 120_000 }, async () => {
    auth = await startAuthServer({ clientSecret: 'app-secret', appUser: 'oauth' });
    const logStart = dovecotLog().length;
    await appendMessages(bench, 'oauth', 'INBOX', [corpusMessage(5, 'pop-app').raw]);
    const { pop3s, pop3 } = bench.dovecot.ports;
    const app = `oauth2=generic, client_id=mailpump-app, token_url=${auth.url}/token, client_secret=app-secret, tlsCa=${bench.dovecot.caCert}`;
    box.writeConfig('credentials.conf', [
      `pops://oauth@127.0.0.1:${pop3s}/ ${app}, sasl=xoauth2`,
      `pop://oauth@127.0.0.1:${pop3}/ ${app}, sasl=oauthbearer`,
      `imaps://nobody@127.0.0.1:${bench.dovecot.ports.imaps}/ ${app}`,
    ].join('\n'));
    for (const url of [`pops://oauth@127.0.0.1:${pop3s}/`, `pop://oauth@127.0.0.1:${pop3}/`]) {
      const tested = await box.srAsync(['oauth', 'test', url]);
      assert.equal(tested.code, 0, tested.stderr);
      assert.match(tested.stdout, /the mail server took the token/);
    }
    // Tokens for "oauth" offered as "nobody": refused, then refused again fresh: a mail-server matter.
    const mismatch = await box.srAsync(['oauth', 'test', `imaps://nobody@127.0.0.1:${bench.dovecot.ports.imaps}/`]);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /login refused for nobody@127\.0\.0\.1.*with an OAuth2 token just issued .*Likely: IMAP or POP not enabled for the mailbox/);
    assert.ok(auth.requests.filter((type) => type === 'client_credentials').length >= 2, 'a refused token is replaced by a fresh one before giving up');
    assert.match(dovecotLog().slice(logStart), /pop3-login: Info: Login: user=<oauth>, method=XOAUTH2/);
    assert.match(dovecotLog().slice(logStart), /pop3-login: Info: Login: user=<oauth>, method=OAUTHBEARER/);
    const app2 = await box.srAsync(['oauth', 'login', `pops://oauth@127.0.0.1:${pop3s}/`]);
    assert.equal(app2.code, 0, app2.stderr);
    assert.match(app2.stdout, /gets its tokens by itself \(no person signs in\); testing it/);
    assert.ok(!everythingSaid([mismatch.stdout, mismatch.stderr, app2.stdout, app2.stderr]).includes('app-secret'));
  });
});
