// Mail errors in words that say what to do (issue "Real deployments" item 4): the common
// causes of a first deployment, each on one line, with the account and never a password.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailAccount } from '../../lib/mail/account.js';
import { describeMailError, isLastingMailError, isTokenExpiredBye } from '../../lib/mail/mailErrors.js';
import { mailboxState, RETRYING_FOR_MS } from '../../lib/supervisor/instanceFiles.js';
import { Pop3Error } from '../../lib/mail/pop3/pop3Client.js';

const imaps = { account: mailAccount('imaps://ingest@mail.example.com:995/'), credentialsLine: 3 };
const error = (message: string, extra: object = {}) => Object.assign(new Error(message), extra);

describe('mail errors in words', () => {
  it('name the refused login with its credentials.conf line', () => {
    assert.equal(describeMailError(error('Command failed', { authenticationFailed: true, responseText: 'Authentication failed.' }), imaps),
      'login refused for ingest@mail.example.com: Authentication failed. (the password of credentials.conf line 3)');
    assert.match(describeMailError(new Pop3Error('login failed for ingest: [AUTH] Authentication failed.', 'auth'), imaps), /^login refused for ingest@mail.example.com: \[AUTH\]/);
  });
  it('tell Exchange\'s end of a session at token expiry (a reconnect) from a lost connection, and a fresh token refused from a bad grant', () => {
    assert.equal(isTokenExpiredBye(error('Connection not available', { code: 'NoConnection', reason: 'Session invalidated - AccessTokenExpired' })), true);
    assert.equal(isTokenExpiredBye(error('Connection not available', { code: 'NoConnection', reason: 'Server closed connection' })), false);
    assert.equal(isTokenExpiredBye(undefined), false);
    assert.match(describeMailError(error('Command failed', { authenticationFailed: true, responseText: 'AUTHENTICATE failed.', freshTokenRefused: true }), { ...imaps, oauth2: true }),
      /with an OAuth2 token just issued \(credentials\.conf line 3\): the grant is good, the mail server refuses it\. Likely: IMAP or POP not enabled/);
  });
  it('say what to add for a certificate that is not trusted, on one line', () => {
    const text = describeMailError(error('self-signed certificate in certificate chain\n  at TLSSocket', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), imaps);
    assert.match(text, /^certificate of mail.example.com is not trusted \(self-signed certificate in certificate chain at TLSSocket\): add "tlsCa/);
    assert.ok(!text.includes('\n'));
  });
  it('guess a POP3 port behind an imaps URL, and the other causes', () => {
    assert.match(describeMailError(error('Failed to receive greeting', { code: 'GREETING_TIMEOUT' }), imaps), /no IMAP greeting from mail.example.com:995 in time: is it a POP3 port/);
    assert.match(describeMailError(error('connect ECONNREFUSED', { code: 'ECONNREFUSED' }), imaps), /^connection refused by mail.example.com:995/);
    assert.equal(describeMailError(error('getaddrinfo ENOTFOUND', { code: 'ENOTFOUND' }), imaps), 'name not found: mail.example.com');
    assert.match(describeMailError(error('wrong version number', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), imaps), /does not speak TLS from the start: use imap:\/\//);
  });
  it('give the server\'s own words where imapflow says only "Command failed"', () => {
    assert.equal(describeMailError(error('Command failed', { responseText: 'Mailbox does not exist' }), imaps), 'Command failed: the server said "Mailbox does not exist"');
  });
  it('tell the causes the operator must fix from those that may pass by themselves', () => {
    for (const lasting of [error('x', { authenticationFailed: true }), error('self-signed certificate', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      error('getaddrinfo ENOTFOUND', { code: 'ENOTFOUND' }), error('wrong version number', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
      new Pop3Error('login failed for ingest: -ERR', 'auth')]) assert.equal(isLastingMailError(lasting), true, String(lasting));
    for (const passing of [error('connect ECONNREFUSED', { code: 'ECONNREFUSED' }), error('read ECONNRESET', { code: 'ECONNRESET' }),
      error('Failed to receive greeting', { code: 'GREETING_TIMEOUT' }), error('Connection not available', { code: 'NoConnection' })]) assert.equal(isLastingMailError(passing), false, String(passing));
  });
});

describe('a mailbox in sr status', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  const since = (ms: number) => new Date(now - ms).toISOString();
  it('is retrying while trouble that may pass is young, failing after, and failing at once when the operator must act', () => {
    assert.equal(mailboxState({ account: 'a', state: 'ok' }, now), 'ok');
    assert.equal(mailboxState({ account: 'a', state: 'failing', since: since(10_000), lasting: false }, now), 'retrying');
    assert.equal(mailboxState({ account: 'a', state: 'failing', since: since(RETRYING_FOR_MS + 1), lasting: false }, now), 'failing');
    assert.equal(mailboxState({ account: 'a', state: 'failing', since: since(10_000), lasting: true }, now), 'failing');
    assert.equal(mailboxState({ account: 'a', state: 'failing' }, now), 'failing', 'a report without its start is not taken for a young one');
  });
});
