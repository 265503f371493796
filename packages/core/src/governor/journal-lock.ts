/**
 * One writer per journal file: `<file>.lock` holds the owner's pid, created
 * exclusively. A lock whose process is gone (a crash, `kill -9`) — or that
 * names this process's pid without this process holding it (a restart that
 * got the same pid, as in a container) — is stale and taken over.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/** Another live process (or another FileJournal of this one) has the journal open. */
export class JournalLockedError extends Error {
  override readonly name = 'JournalLockedError';
  readonly path: string;
  readonly ownerPid: number;
  constructor(path: string, ownerPid: number) {
    super(
      `journal ${path} is in use by process ${ownerPid}${ownerPid === process.pid ? ' (this one)' : ''}: ` +
        'one writer per journal file — give each process its own (journalPathFor)',
    );
    this.path = path;
    this.ownerPid = ownerPid;
  }
}

const held = new Set<string>();

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(lockPath: string): number {
  try {
    return Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
  } catch {
    return Number.NaN;
  }
}

/** Take the lock of `journalPath`; returns its release. Throws JournalLockedError when it is held. */
export function acquireJournalLock(journalPath: string): () => void {
  const lockPath = `${journalPath}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      held.add(lockPath);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(lockPath);
        rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = ownerOf(lockPath);
    const ours = owner === process.pid;
    if ((ours && held.has(lockPath)) || (!ours && isAlive(owner))) {
      throw new JournalLockedError(journalPath, owner);
    }
    rmSync(lockPath, { force: true }); // stale: its owner is gone
  }
  throw new JournalLockedError(journalPath, ownerOf(lockPath));
}
