import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySetValue, formatDuration, parseCount, parseDuration, parseFlag, parseOctal, parseSize } from '../../lib/config/values.js';

describe('flag values', () => {
  it('reads the sr3 words for on and off in any case, and a bare flag as on', () => {
    for (const word of ['true', 'Yes', 'ON', '1', undefined, '']) assert.equal(parseFlag(word), true, String(word));
    for (const word of ['false', 'No', 'OFF', '0']) assert.equal(parseFlag(word), false, word);
  });
  it('refuses a typo instead of reading it as off, as sr3 would', () => {
    assert.throws(() => parseFlag('of'), /needs on or off, got "of"/);
  });
});

describe('durations', () => {
  it('reads plain seconds, units and two-unit forms', () => {
    assert.equal(parseDuration('30'), 30);
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('5m'), 300);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('1m30s'), 90);
    assert.equal(parseDuration('1.5h'), 5400);
    assert.equal(parseDuration('1w3d'), 7 * 86400 + 3 * 86400);
    assert.equal(parseDuration('2H'), 7200);
    assert.equal(parseDuration('off'), 0);
  });
  it('refuses words and stray text', () => {
    assert.throws(() => parseDuration('often'), /needs a duration .* got "often"/);
    assert.throws(() => parseDuration('5 minutes'), /got "5 minutes"/);
    assert.throws(() => parseDuration('30x'), /got "30x"/);
    assert.throws(() => parseDuration('30 5m'), /got "30 5m"/);
  });
  it('formats back to the shortest form', () => {
    assert.equal(formatDuration(5400), '1h30m');
    assert.equal(formatDuration(450), '7m30s');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(0.5), '0.5s');
  });
});

describe('sizes and counts', () => {
  it('reads decimal and binary suffixes as sr3 (humanfriendly) does', () => {
    assert.equal(parseSize('512'), 512);
    assert.equal(parseSize('1k'), 1000);
    assert.equal(parseSize('1kb'), 1024);
    assert.equal(parseSize('1Ki'), 1024);
    assert.equal(parseSize('25MiB'), 25 * 2 ** 20);
    assert.equal(parseSize('1m'), 1e6);
    assert.equal(parseSize('1.9'), 1);
    assert.equal(parseSize('2G'), 2e9);
  });
  it('refuses what is not a size', () => {
    assert.throws(() => parseSize('big'), /needs a size/);
    assert.throws(() => parseSize('10q'), /needs a size/);
    assert.throws(() => parseCount('two'), /needs a whole number, got "two"/);
  });
  it('reads octal modes', () => {
    assert.equal(parseOctal('644'), 0o644);
    assert.equal(parseOctal('0755'), 0o755);
    assert.throws(() => parseOctal('rw'), /octal/);
  });
});

describe('sets', () => {
  const allowed = ['a', 'b', 'c'];
  it('replaces, adds, removes, empties and takes all', () => {
    assert.deepEqual(applySetValue(['a'], 'b,c', allowed), ['b', 'c']);
    assert.deepEqual(applySetValue(['a'], '+b|c', allowed), ['a', 'b', 'c']);
    assert.deepEqual(applySetValue(['a', 'b'], '-a', allowed), ['b']);
    assert.deepEqual(applySetValue(['a'], 'None', allowed), []);
    assert.deepEqual(applySetValue([], 'all', allowed), allowed);
  });
  it('names the values it does not know', () => {
    assert.throws(() => applySetValue([], 'a,zz', allowed), /does not know "zz"; choose from a, b, c/);
  });
});
