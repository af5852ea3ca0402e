// Service URLs as written in configs and credentials.conf: broker and mailbox URLs.
// WHATWG URL leaves the host of non-web schemes (imaps:, amqp:) as written and keeps
// userinfo percent-encoded, so case folding and decoding are done here, once.

export const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  imap: 143, imaps: 993, pop: 110, pops: 995, amqp: 5672, amqps: 5671,
};

export interface ServiceUrl {
  readonly scheme: string;
  /** lower-cased host name, empty for `local:` */
  readonly host: string;
  /** the port, the scheme's default when the URL has none */
  readonly port: number | undefined;
  /** decoded user name, empty when absent */
  readonly user: string;
  /** decoded password, undefined when absent */
  readonly password: string | undefined;
  /** the path, `/` when absent (for AMQP the vhost) */
  readonly path: string;
}

export class UrlError extends Error {}

export function parseServiceUrl(text: string): ServiceUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlError(`is not a URL: "${maskPassword(text)}"`);
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const explicitPort = url.port === '' ? undefined : Number(url.port);
  return {
    scheme,
    host: url.hostname.toLowerCase(),
    port: explicitPort ?? DEFAULT_PORTS[scheme],
    user: decodeOnce(url.username),
    password: url.password === '' ? undefined : decodeOnce(url.password),
    path: url.pathname === '' ? '/' : url.pathname,
  };
}

function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UrlError(`has a badly percent-encoded user or password (write % as %25)`);
  }
}

// Up to the last `@` of the text: a password with an unencoded `@` or `/` is masked whole.
const USERINFO_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):\S*@/gi;

/** The text with any URL password replaced by `***`: safe for logs, `sr show` and error messages. */
export function maskPassword(text: string): string {
  return text.replace(USERINFO_PASSWORD, '$1:***@');
}

/** The URL without its password at all, as it goes into a notification's baseUrl. */
export function withoutPassword(text: string): string {
  return text.replace(USERINFO_PASSWORD, '$1@');
}
