// A file name from a mail (an attachment's declared name, a subject) made safe to write:
// no directory parts, no `..`, no control characters, no names Windows reserves (files
// land on shares read by Windows machines), NFC-normalised, and short enough for the file
// system with its extension kept. What is left of a hostile name is never a path.

/** NAME_MAX of ext4, xfs, btrfs: bytes, not characters. */
export const MAX_NAME_BYTES = 255;

const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;
// Control characters, and what Windows forbids in names: they would break a share.
const FORBIDDEN = /[\u0000-\u001f\u007f<>:"|?*]/g;

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  let cut = '';
  for (const character of text) {
    if (Buffer.byteLength(cut + character) > bytes) break;
    cut += character;
  }
  return cut;
}

/**
 * The safe form of `declared`, or `fallback` (e.g. `part-2.pdf`) when nothing usable is
 * left. `reserveBytes` keeps room for a suffix added later to tell colliding names apart.
 */
export function safeFileName(declared: string, fallback: string, reserveBytes = 0): string {
  // The last path component: `../../x.pdf` and `C:\temp\x.pdf` are `x.pdf`.
  const base = declared.normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = base.replace(FORBIDDEN, '_').trim().replace(/[. ]+$/, '');
  if (/^\.+$/.test(name) || name === '') name = fallback;
  if (RESERVED.test(name)) name = `_${name}`;
  const limit = MAX_NAME_BYTES - reserveBytes;
  if (Buffer.byteLength(name) <= limit) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && Buffer.byteLength(name.slice(dot)) <= 32 ? name.slice(dot) : '';
  return `${cutToBytes(name.slice(0, name.length - extension.length), limit - Buffer.byteLength(extension))}${extension}`;
}
