// Reading a file a user names (a config, an include, credentials.conf) without trusting
// what it is: a FIFO would block `sr` for ever, /dev/zero would fill memory until node
// aborts, a directory throws EISDIR. Only a regular file of a sane size is read.
import fs from 'node:fs';

/** More than any config or credentials file; a file this large is not one. */
const MAX_TEXT_BYTES = 4 * 1024 * 1024;

/** Why a text file cannot be read, in words, with the file's own problem and not a stack. */
export class TextFileError extends Error {
  constructor(readonly code: string | undefined, message: string) {
    super(message);
  }
}

/** The file's text; TextFileError when it is missing (code ENOENT), not a regular file, too large or unreadable. */
export function readTextFile(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TextFileError(code, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot open it (${code ?? (error as Error).message})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new TextFileError('EISDIR', 'is a directory, not a file');
    if (!stat.isFile()) throw new TextFileError('ENOTREG', 'is not a regular file (a device, a FIFO or a socket)');
    if (stat.size > MAX_TEXT_BYTES) throw new TextFileError('EFBIG', `is ${stat.size} bytes, more than a config file can be (${MAX_TEXT_BYTES})`);
    return fs.readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof TextFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new TextFileError(code, `cannot read it (${code ?? (error as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}
