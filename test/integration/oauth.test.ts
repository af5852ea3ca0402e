// OAuth2 sign-in, with oauth2=command (a helper program prints the access token), on the bench
// Dovecot, whose oauth2 passdb asks a token stub (test/bench/tokenStub.ts): IMAP through sr
// (poll and subscribe), POP3 with SASL OAUTHBEARER, a refused token and a failing helper said
// for what they are, and no token ever in a log.
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
import { Sandbox, waitFor } from '../helpers/sandbox.js';

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
      ['echo not-a-valid-token', /login refused for oauth@127\.0\.0\.1: Authentication failed\. \(the OAuth2 token of credentials\.conf line 1\)/],
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
