// A file name from a mail (an attachment's declared name, a subject) made safe to write:
// no directory parts, no `..`, no control or invisible characters, no names Windows
// reserves (files land on shares read by Windows machines), NFC-normalised, and short
// enough for the file system with its extension kept. What is left of a hostile name is
// never a path, never shows other than it is, and never starts with a dot: names that
// start with a dot are mailpump's own (sidecars, raw backups, staging), so no attachment
// can take one of them.

/** NAME_MAX of ext4, xfs, btrfs: bytes, not characters. */
export const MAX_NAME_BYTES = 255;

// Device names, with the superscript digits Windows also reads as COM1-3 and LPT1-3, and
// with any extension or spaces before it (`nul .txt` opens NUL).
const RESERVED = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$)\s*(\..*)?$/iu;
// Control characters (C0 and C1), and what Windows forbids in names: they would break a share.
const FORBIDDEN = /[\p{Cc}<>:"|?*]/gu;
// Invisible characters that change how a name reads (U+202E turns `gpj.exe` into `exe.jpg`),
// zero-width ones, line and paragraph separators: removed, so the name says what it is.
const INVISIBLE = /[\p{Cf}\u2028\u2029]/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character (linear). */
function cutToBytes(text: string, bytes: number): string {
  let used = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (used + size > bytes) break;
    used += size;
    end += character.length;
  }
  return text.slice(0, end);
}

/** Spaces and dots at the end of a name are dropped by Windows: `x.pdf. ` would be `x.pdf`. */
function trimEnd(name: string): string {
  return name.replace(/[. ]+$/u, '');
}

/**
 * The safe form of `declared`, or `fallback` (e.g. `part-2.pdf`) when nothing usable is
 * left. `reserveBytes` keeps room for a suffix added later to tell colliding names apart.
 */
export function safeFileName(declared: string, fallback: string, reserveBytes = 0): string {
  // Lone surrogates become U+FFFD first: a file system would store something else than shown.
  const whole = declared.replace(LONE_SURROGATE, '\ufffd').normalize('NFC');
  // The last path component: `../../x.pdf` and `C:\temp\x.pdf` are `x.pdf`.
  const base = whole.slice(Math.max(whole.lastIndexOf('/'), whole.lastIndexOf('\\')) + 1);
  let name = trimEnd(base.replace(INVISIBLE, '').replace(FORBIDDEN, '_').trim()).replace(/^\.+/u, (dots) => '_'.repeat(dots.length));
  if (/^_*$/u.test(name) && !/^_+$/u.test(base.trim())) name = '';
  if (name === '') name = fallback;
  if (RESERVED.test(name)) name = `_${name}`;
  const limit = MAX_NAME_BYTES - reserveBytes;
  if (Buffer.byteLength(name) <= limit) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && Buffer.byteLength(name.slice(dot)) <= 32 ? name.slice(dot) : '';
  const stem = trimEnd(cutToBytes(name.slice(0, name.length - extension.length), limit - Buffer.byteLength(extension)));
  return `${stem || '_'}${extension}`;
}
