import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Where the built console lives: `dist/web` of the package, whether this file runs compiled
 * (`dist/src/console`) or from the sources (`src/console`, tests and type stripping).
 */
export function defaultWebRoot(): string | undefined {
  const candidates = [
    fileURLToPath(new URL('../../dist/web', import.meta.url)),
    fileURLToPath(new URL('../../web', import.meta.url)),
  ];
  // A build has assets/ beside index.html; the web/ sources (index.html only) must not be served.
  return candidates.find(
    (dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets')),
  );
}

/** The console's pages only talk to this origin; nothing may frame them. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // asciinema-player's terminal emulator is WebAssembly; 'wasm-unsafe-eval' allows only that.
  "script-src 'self' 'wasm-unsafe-eval'",
  // The terminal player sets inline styles on its cells.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built single-page app at `/` (hashed assets cached for good, index.html never).
 * Without a build, `/` says how to make one instead of failing obscurely.
 */
export async function registerStaticFiles(
  app: FastifyInstance,
  webRoot: string | undefined,
): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/')) return;
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html'))
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  });
  if (!webRoot) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The reviewer console is not built. Run `npm run build` (or `npm run build:web`).\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    dotfiles: 'deny',
    setHeaders(reply, path) {
      const hashed = /[\\/]assets[\\/]/.test(path);
      reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
