import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeWritableDir } from '../../src/engine/work-dir.js';
import { readOnlyDir } from './read-only-dir.js';

test('makeWritableDir creates missing levels; an existing writable folder is fine', () => {
  const root = mkdtempSync(join(tmpdir(), 'selfsup-wd-'));
  const deep = join(root, 'a', 'b', 'c');
  makeWritableDir(deep);
  assert.ok(statSync(deep).isDirectory());
  accessSync(deep, constants.W_OK);
  makeWritableDir(deep);
});

test('a work dir under a read-only folder says it is not writable, naming it', (t) => {
  const ro = readOnlyDir();
  if ('skip' in ro) {
    t.skip(ro.skip);
    return;
  }
  const wd = join(ro.dir, 'selfsup-run', 'x');
  assert.throws(
    () => makeWritableDir(wd),
    (e: Error) => {
      assert.ok(
        e.message.startsWith(`work dir ${wd} is not writable: cannot create ${join(ro.dir, 'selfsup-run')} in ${ro.dir}: `),
        e.message,
      );
      assert.match(e.message, /\((EACCES|EPERM|EROFS|ENOENT)\)$/);
      return true;
    },
  );
  assert.equal(existsSync(join(ro.dir, 'selfsup-run')), false);
});

test('a work dir whose parent is a file says so', () => {
  const root = mkdtempSync(join(tmpdir(), 'selfsup-wd-'));
  writeFileSync(join(root, 'f'), '');
  assert.throws(
    () => makeWritableDir(join(root, 'f', 'run'), 'work dir W'),
    /^Error: work dir W cannot be created: \S+f is a file, not a folder$/,
  );
});
