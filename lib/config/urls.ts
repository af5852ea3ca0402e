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
    throw new UrlError(`is not a URL: "${maskUrlText(text)}"`);
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

const SCHEME_CHARACTER = /[a-z0-9+.-]/i;
const SPACE = /\s/;

/**
 * The text with every `scheme://user:password@` made `scheme://user:<mask>@`. The password
 * runs to the last `@` before the next space, so one with an unencoded `@` or `/` is masked
 * whole. One pass over the text (a 400,000-character Message-ID in a log line costs a
 * pass, not minutes): after each URL the scan goes on past it, never back.
 */
function maskUserinfo(text: string, mask: string): string {
  let out = '';
  let copied = 0;
  let from = 0;
  for (let found = text.indexOf('://', from); found >= 0; found = text.indexOf('://', from)) {
    let start = found;
    while (start > 0 && SCHEME_CHARACTER.test(text[start - 1]!)) start -= 1;
    let user = found + 3;
    while (user < text.length && !'/@:'.includes(text[user]!) && !SPACE.test(text[user]!)) user += 1;
    if (!/[a-z]/i.test(text.slice(start, found)) || text[user] !== ':') {
      from = found + 3;
      continue;
    }
    let end = user + 1;
    while (end < text.length && !SPACE.test(text[end]!)) end += 1;
    const at = text.lastIndexOf('@', end - 1);
    if (at <= user) {
      from = end; // no `@` before the next space: no password in this word
      continue;
    }
    out += `${text.slice(copied, user)}${mask}`;
    copied = at;
    from = at + 1;
  }
  return out + text.slice(copied);
}

/** The text with any URL password replaced by `***`: safe for logs, `sr show` and error messages. */
export function maskPassword(text: string): string {
  return maskUserinfo(text, ':***');
}

/** The URL without its password at all, as it goes into a notification's baseUrl. */
export function withoutPassword(text: string): string {
  return maskUserinfo(text, '');
}

/**
 * A URL that may not parse, as an error may show it: everything from the `:` after the
 * user to the last `@` of the text (or to its end) is masked, so a password is hidden even
 * when it broke the URL (a space in it, an unencoded `/`).
 */
export function maskUrlText(text: string): string {
  const scheme = text.indexOf('://');
  if (scheme < 0) return text.length > 40 ? `${text.slice(0, 40)}...` : text;
  const colon = text.indexOf(':', scheme + 3);
  const userEnd = [text.indexOf('@', scheme + 3), text.indexOf('/', scheme + 3)].filter((at) => at >= 0);
  if (colon < 0 || userEnd.some((at) => at < colon)) return text;
  const at = text.lastIndexOf('@');
  return `${text.slice(0, colon)}:***${at > colon ? text.slice(at) : ''}`;
}

