import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DirLock {
  readonly path: string;
  /** Removes the lock file. Idempotent, never throws. */
  release(): Promise<void>;
}

/**
 * Claims `<dir>.lock` for this process so two demos never open the same PGlite data directory
 * (which would corrupt it). A lock left by a process that no longer runs is taken over.
 */
export async function acquireDirLock(dir: string): Promise<DirLock> {
  const path = `${dir}.lock`;
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
      throw new Error(
        `${dir} is in use by process ${holder} (another gatehouse demo?); stop it or use another directory`,
      );
    }
    await unlink(path).catch(() => {});
  }
  throw new Error(`could not lock ${dir}: ${path} keeps reappearing`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
