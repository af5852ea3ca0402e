// Log rotation in real time: with logRotateInterval 1m the instance log moves to a new file
// at the next minute and the <stem>.log symlink follows. Takes up to a minute.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { closeLogger, createInstanceLogger } from '../../lib/log/logger.js';
import { ConfigTree } from '../helpers/configTree.js';

let tree: ConfigTree;
beforeEach(() => { tree = new ConfigTree(); });
afterEach(() => tree.remove());

describe('log rotation', () => {
  it('starts a new file when the interval passes and moves the symlink to it', async () => {
    const logger = createInstanceLogger({
      logDir: tree.paths.logDir, stem: 'subscribe_mail_01', level: 'info', rotateCount: 2, rotateInterval: 60, secrets: [],
    });
    logger.info('before the minute turns');
    const untilNextMinute = 60000 - (Date.now() % 60000) + 500;
    await new Promise((resolve) => setTimeout(resolve, untilNextMinute));
    logger.info('after the minute turned');
    await closeLogger(logger);
    const files = fs.readdirSync(tree.paths.logDir).filter((name) => /^subscribe_mail_01\..+\.log$/.test(name)).sort();
    assert.equal(files.length, 2, `two files: ${files.join(', ')}`);
    const link = `${tree.paths.logDir}/subscribe_mail_01.log`;
    assert.equal(fs.readlinkSync(link), files[1]);
    assert.match(fs.readFileSync(`${tree.paths.logDir}/${files[0]}`, 'utf8'), /before the minute turns/);
    assert.match(fs.readFileSync(link, 'utf8'), /after the minute turned/);
    assert.doesNotMatch(fs.readFileSync(link, 'utf8'), /before the minute/);
  });
});
