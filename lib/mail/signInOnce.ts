// One sign-in to a mailbox and out again, changing nothing: how sr oauth login and sr oauth
// test show that a token is taken by the mail server itself, not only issued.
import type { AccountSignIn, MailAccount } from './account.js';
import { closeClient, connectedClient } from './imap/imapMailbox.js';
import { Pop3Client } from './pop3/pop3Client.js';
import type { TlsSettings } from './tls.js';

const SIGN_IN_TIMEOUT_MS = 30_000;

export async function signInOnce(account: MailAccount, signIn: AccountSignIn, tls: TlsSettings): Promise<void> {
  const settings = { account, ...signIn, tls, timeoutMs: SIGN_IN_TIMEOUT_MS };
  if (account.protocol === 'imap') {
    await closeClient(await connectedClient(settings));
    return;
  }
  const client = await Pop3Client.connect(settings);
  await client.quit();
}
