// What every mail server of the bench offers the tests, whatever its family: loopback
// ports for each scheme, passwd-style users, the CA that signed its certificate, and where
// its personal folders live (what its NAMESPACE says).

export interface MailUser {
  readonly name: string;
  readonly password: string;
}

export interface MailPorts {
  readonly imap: number;
  readonly imaps: number;
  readonly pop3: number;
  readonly pop3s: number;
}

/** The server families of the bench; cyrus-slash is Cyrus with `unixhierarchysep: yes`. */
export type ServerFamily = 'dovecot' | 'cyrus' | 'cyrus-slash' | 'courier';

export interface MailServerInfo {
  readonly family: ServerFamily;
  readonly dir: string;
  readonly ports: MailPorts;
  readonly users: readonly MailUser[];
  readonly caCert: string;
  /** the personal namespace: `""` and `.` on the bench Dovecot, `INBOX.` and `.` on Cyrus and Courier */
  readonly personal: { readonly prefix: string; readonly delimiter: string };
}

/** A folder's full name on a server: its personal prefix, then the levels joined by its delimiter. */
export function folderOn(server: MailServerInfo, ...levels: string[]): string {
  return `${server.personal.prefix}${levels.join(server.personal.delimiter)}`;
}
