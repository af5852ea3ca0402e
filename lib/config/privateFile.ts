// Files that hold secrets (credentials.conf, the OAuth token store, private keys) are refused
// when group or others can read them, with the same words and the command that fixes it.

/** Why a file of `mode` may not be used, or undefined: `label` names it, `holds` says what is at stake. */
export function readableByOthers(file: string, mode: number, label: string, holds: string, chmod = '600'): string | undefined {
  if ((mode & 0o077) === 0) return undefined;
  return `${label} can be read by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); it holds ${holds}, so it is not used. Fix it with: chmod ${chmod} ${file}`;
}
