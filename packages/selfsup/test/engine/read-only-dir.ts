/** A folder this process cannot write in, for tests of write errors (also when running as root). */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A `chmod 555` temp folder; as root (where chmod does not bind) `/sys`, which refuses new entries
 * to everyone. `skip` says why there is none.
 */
export function readOnlyDir(): { dir: string } | { skip: string } {
  const d = mkdtempSync(join(tmpdir(), 'selfsup-ro-'));
  chmodSync(d, 0o555);
  try {
    writeFileSync(join(d, 'probe'), '');
    unlinkSync(join(d, 'probe'));
  } catch {
    return { dir: d };
  }
  if (existsSync('/sys/kernel')) {
    try {
      mkdirSync('/sys/selfsup-probe');
      rmdirSync('/sys/selfsup-probe');
    } catch {
      return { dir: '/sys' };
    }
  }
  return { skip: 'running as root, where chmod 555 does not refuse writes, and /sys is absent or writable' };
}
