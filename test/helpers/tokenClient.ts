// A process that wants an access token, as an instance would: `token` prints the sha256 of
// the token it got (never the token), `hold` takes the token store's lock, says "locked" and
// keeps it until killed. The OAuth2 tests start several at once.
import crypto from 'node:crypto';
import { oauthTokenSource, openTokenStore } from '../../lib/auth/tokenSource.js';
import { CredentialsStore } from '../../lib/config/credentials.js';

const [mode, credentialsFile = '', accountUrl = ''] = process.argv.slice(2);
const credentials = CredentialsStore.load(credentialsFile);
if (mode === 'hold') {
  void openTokenStore(credentials.file).locked(() => {
    process.stdout.write('locked\n');
    setInterval(() => undefined, 1 << 30); // a pending promise alone would let the process end
    return new Promise<never>(() => undefined);
  });
} else {
  const signIn = credentials.signInFor(accountUrl, accountUrl);
  if (signIn.kind !== 'oauth2' || signIn.provider === 'command') throw new Error('not an OAuth2 engine account');
  try {
    const token = await oauthTokenSource(signIn.settings, credentials.file, accountUrl).accessToken();
    process.stdout.write(`${crypto.createHash('sha256').update(token).digest('hex')}\n`);
  } catch (error) {
    process.stdout.write(`error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
