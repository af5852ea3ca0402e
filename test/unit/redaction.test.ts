import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { maskPassword, withoutPassword } from '../../lib/config/urls.js';
import { closeLogger, createInstanceLogger, redact } from '../../lib/log/logger.js';
import { ConfigTree } from '../helpers/configTree.js';

describe('password masking', () => {
  it('masks the password of URLs anywhere in a text, even with unencoded @ or /', () => {
    assert.equal(maskPassword('imaps://ingest:s3cret@mail.example.com:993/'), 'imaps://ingest:***@mail.example.com:993/');
    assert.equal(maskPassword('to amqp://u:p@ss/w@broker/ and imap://v:x@h/ done'), 'to amqp://u:***@broker/ and imap://v:***@h/ done');
    assert.equal(maskPassword('imaps://ingest@mail.example.com/'), 'imaps://ingest@mail.example.com/');
    assert.equal(withoutPassword('imaps://ingest:s3cret@mail.example.com/'), 'imaps://ingest@mail.example.com/');
  });

  it('blanks known secrets wherever they appear', () => {
    assert.equal(redact('login failed for ingest with hunter22 (PLAIN)', ['hunter22']), 'login failed for ingest with *** (PLAIN)');
  });
});

describe('instance log', () => {
  let tree: ConfigTree;
  beforeEach(() => { tree = new ConfigTree(); });
  afterEach(() => tree.remove());

  it('writes a rotating file behind a <stem>.log symlink, at the level asked, without secrets', async () => {
    const logger = createInstanceLogger({
      logDir: tree.paths.logDir, stem: 'poll_mail_01', level: 'info', rotateCount: 5, rotateInterval: 86400, secrets: ['hunter22'],
    });
    logger.info('connecting to imaps://ingest:hunter22@mail.example.com/ with password hunter22');
    logger.debug('a debug line that info level drops');
    logger.warning('a warning');
    await closeLogger(logger);
    const link = `${tree.paths.logDir}/poll_mail_01.log`;
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.match(fs.readlinkSync(link), /^poll_mail_01\.\d{4}-\d{2}-\d{2}\.log$/);
    const text = fs.readFileSync(link, 'utf8');
    assert.match(text, /\[INFO\] connecting to imaps:\/\/ingest:\*\*\*@mail.example.com\/ with password \*\*\*/);
    assert.match(text, /\[WARNING\] a warning/);
    assert.doesNotMatch(text, /hunter22|debug line/);
    assert.equal(fs.statSync(link).mode & 0o777, 0o600);
  });
});
