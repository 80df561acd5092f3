import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The reviewer console, built into the package's dist/web and served by `gatehouse serve` at `/`.
 * For development, `vite --config web/vite.config.ts` proxies the API to a running gateway.
 */
export default defineConfig({
  root: here,
  base: '/',
  // React's automatic JSX runtime through Vite's own transform: no React plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': process.env['GATEHOUSE_API'] ?? 'http://127.0.0.1:8080',
      '/console': process.env['GATEHOUSE_API'] ?? 'http://127.0.0.1:8080',
    },
  },
});
