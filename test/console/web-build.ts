import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB = join(ROOT, 'web');
export const WEB_DIST = join(ROOT, 'dist/web');
const STAMP = join(ROOT, 'dist/.web-build-hash');
const LOCK = join(ROOT, 'dist/.web-build-lock');

/**
 * Builds the console into dist/web (where the gateway serves it from) unless a build of the
 * current sources is already there. Test files run in parallel processes: one builds under a
 * lock directory, the others wait, and a build of unchanged sources is never redone.
 */
export async function ensureWebBuild(): Promise<void> {
  const hash = await sourceHash();
  await mkdir(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if ((await readFile(STAMP, 'utf8').catch(() => '')) === hash) return;
    try {
      await mkdir(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 120_000) await rm(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another web build');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if ((await readFile(STAMP, 'utf8').catch(() => '')) === hash) return;
    // Built beside dist/web and swapped in with renames, so a gateway starting in another test
    // process never globs a half-written tree (at worst it finds no build for a moment).
    const fresh = `${WEB_DIST}.build-${process.pid}`;
    const stale = `${WEB_DIST}.old-${process.pid}`;
    const { build } = await import('vite');
    await build({
      configFile: join(WEB, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: fresh, emptyOutDir: true },
    });
    await rename(WEB_DIST, stale).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(fresh, WEB_DIST);
    await rm(stale, { recursive: true, force: true });
    await writeFile(STAMP, hash);
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    join(WEB, 'index.html'),
    join(WEB, 'vite.config.ts'),
    ...(await listFiles(join(WEB, 'src'))),
  ];
  for (const file of files.sort()) {
    hash
      .update(file)
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)])),
  );
  return nested.flat();
}
