// TLS towards mail servers: verified by default, a private CA with tlsCa, and an explicit,
// warned-about tlsVerify off.
import fs from 'node:fs';
import net from 'node:net';
import { UserError } from '../config/errors.js';
import type { Config } from '../config/load.js';

export interface TlsSettings {
  /** upgrade imap://, pop:// with STARTTLS/STLS and refuse a server that will not */
  readonly required: boolean;
  readonly verify: boolean;
  readonly ca: Buffer[] | undefined;
}

export function tlsSettings(config: Config): TlsSettings {
  const caFile = config.str('tlsCa');
  let ca: Buffer[] | undefined;
  if (caFile) {
    try {
      ca = [fs.readFileSync(caFile)];
    } catch (error) {
      const where = config.settings.get('tlsCa')?.where;
      throw new UserError(`${where ? `${where.file}:${where.line}: ` : ''}"tlsCa" ${caFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  }
  return { required: config.flag('tls'), verify: config.flag('tlsVerify'), ca };
}

/** Options for Node's tls.connect: SNI only for names (an IP address is not allowed there). */
export function tlsConnectOptions(settings: TlsSettings, host: string): { rejectUnauthorized: boolean; ca?: Buffer[]; servername?: string } {
  return {
    rejectUnauthorized: settings.verify,
    ...(settings.ca ? { ca: settings.ca } : {}),
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
  };
}
