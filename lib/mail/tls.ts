// TLS towards mail servers: verified by default, a private CA with tlsCa, and an explicit,
// warned-about tlsVerify off.
import fs from 'node:fs';
import net from 'node:net';
import { UserError } from '../config/errors.js';
import type { Credential } from '../config/credentials.js';
import type { Config } from '../config/load.js';
import { parseFlag } from '../config/values.js';

export interface TlsSettings {
  /** upgrade imap://, pop:// with STARTTLS/STLS and refuse a server that will not */
  readonly required: boolean;
  readonly verify: boolean;
  readonly ca: Buffer[] | undefined;
  /** tlsRigour strict: a lower version is refused (Node's default minimum may be lowered by its options) */
  readonly minVersion?: 'TLSv1.2';
}

function readCa(file: string, where: string): Buffer[] {
  try {
    return [fs.readFileSync(file)];
  } catch (error) {
    throw new UserError(`${where}"tlsCa" ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

export function tlsSettings(config: Config): TlsSettings {
  const caFile = config.str('tlsCa');
  const where = config.settings.get('tlsCa')?.where;
  const ca = caFile ? readCa(caFile, where ? `${where.file}:${where.line}: ` : '') : undefined;
  // tlsRigour strict with tlsVerify off is refused by validateConfig.
  const rigour = config.str('tlsRigour');
  return {
    required: config.flag('tls'),
    verify: rigour === 'lax' ? false : config.flag('tlsVerify'),
    ca,
    ...(rigour === 'strict' ? { minVersion: 'TLSv1.2' as const } : {}),
  };
}

/**
 * The TLS settings for one account: the config's where it writes tlsCa or tlsVerify,
 * else the details of the account's credentials.conf line (`tlsCa=/etc/ssl/our-ca.pem`,
 * `tlsVerify=off`), which both the poll and the subscribe read: the subscribe of the quick
 * start needed its own tlsCa line, which nobody said, and retried "self-signed" for ever.
 */
export function accountTls(config: Config | undefined, base: TlsSettings, credential: Credential | undefined): TlsSettings {
  if (!credential) return base;
  const written = (option: string) => config?.settings.get(option)?.where !== undefined;
  const place = `credentials.conf:${credential.line}: `;
  const caDetail = credential.details.tlsCa;
  const verifyDetail = credential.details.tlsVerify;
  let verify = base.verify;
  if (!written('tlsVerify') && verifyDetail !== undefined) {
    try {
      verify = parseFlag(verifyDetail === true ? undefined : verifyDetail);
    } catch (error) {
      throw new UserError(`${place}"tlsVerify" ${(error as Error).message}`);
    }
    if (!verify && config?.str('tlsRigour') === 'strict') throw new UserError(`${place}"tlsVerify=off" contradicts "tlsRigour strict" of ${config.label}, which always verifies certificates: keep one`);
  }
  const ca = !written('tlsCa') && typeof caDetail === 'string' && caDetail !== '' ? readCa(caDetail, place) : base.ca;
  return { ...base, verify, ca };
}

/** TLS for an account no config names (sr oauth login <URL>): required and verified, with its credentials.conf details. */
export const DEFAULT_TLS: TlsSettings = { required: true, verify: true, ca: undefined };

/** Options for Node's tls.connect: SNI only for names (an IP address is not allowed there). */
export function tlsConnectOptions(settings: TlsSettings, host: string): { rejectUnauthorized: boolean; ca?: Buffer[]; servername?: string; minVersion?: 'TLSv1.2' } {
  return {
    rejectUnauthorized: settings.verify,
    ...(settings.minVersion ? { minVersion: settings.minVersion } : {}),
    ...(settings.ca ? { ca: settings.ca } : {}),
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
  };
}
