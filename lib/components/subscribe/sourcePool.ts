// One MailSource per account, opened on its first message and kept for the next ones: a
// subscribe reading notifications of several mailboxes holds one connection to each.
import type { CredentialsStore } from '../../config/credentials.js';
import { accountSignIn, type MailAccount } from '../../mail/account.js';
import { ImapSource } from '../../mail/imap/imapSource.js';
import type { MailSource } from '../../mail/mailSource.js';
import type { LoginGate } from '../../mail/pop3/loginGate.js';
import { Pop3Source } from '../../mail/pop3/pop3Source.js';
import type { TlsSettings } from '../../mail/tls.js';

export class SourcePool {
  private readonly sources = new Map<string, MailSource>();

  constructor(
    private readonly credentials: CredentialsStore,
    private readonly tls: (account: MailAccount) => TlsSettings,
    private readonly connection: { readonly timeoutMs: number; readonly compress: boolean },
    private readonly onNotice: (line: string) => void,
    /** POP3 logins taken in turn with the other processes of this host (LOGIN-DELAY) */
    private readonly pop3: { readonly gate: () => LoginGate; readonly stopped: () => boolean; readonly onWait: (line: string) => void },
    private readonly onDebug?: (line: string) => void,
  ) {}

  /** The account's source; throws a UserError when credentials.conf has no password for it. */
  sourceFor(account: MailAccount): MailSource {
    const existing = this.sources.get(account.label);
    if (existing) return existing;
    const settings = { account, ...accountSignIn(account, this.credentials, this.onNotice), tls: this.tls(account), ...this.connection, onNotice: this.onNotice, ...(this.onDebug ? { onDebug: this.onDebug } : {}) };
    const source = account.protocol === 'imap' ? new ImapSource(settings) : new Pop3Source({ ...settings, ...this.pop3, gate: this.pop3.gate() });
    this.sources.set(account.label, source);
    return source;
  }

  /** Every connection dropped at once (see MailSource.abort). */
  abortAll(): void {
    for (const source of this.sources.values()) source.abort();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sources.values()].map((source) => source.close().catch(() => undefined)));
    this.sources.clear();
  }
}
