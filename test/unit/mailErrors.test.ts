// Mail errors in words that say what to do (issue "Real deployments" item 4): the common
// causes of a first deployment, each on one line, with the account and never a password.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailAccount } from '../../lib/mail/account.js';
import { describeMailError } from '../../lib/mail/mailErrors.js';
import { Pop3Error } from '../../lib/mail/pop3/pop3Client.js';

const imaps = { account: mailAccount('imaps://ingest@mail.example.com:995/'), credentialsLine: 3 };
const error = (message: string, extra: object = {}) => Object.assign(new Error(message), extra);

describe('mail errors in words', () => {
  it('name the refused login with its credentials.conf line', () => {
    assert.equal(describeMailError(error('Command failed', { authenticationFailed: true, responseText: 'Authentication failed.' }), imaps),
      'login refused for ingest@mail.example.com: Authentication failed. (the password of credentials.conf line 3)');
    assert.match(describeMailError(new Pop3Error('login failed for ingest: [AUTH] Authentication failed.', 'auth'), imaps), /^login refused for ingest@mail.example.com: \[AUTH\]/);
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
});
