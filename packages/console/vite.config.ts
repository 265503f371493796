import { defineConfig } from 'vite';

// Static files for @governor/server to serve at /console/: relative asset URLs, no CDN, no
// source maps in the package. `@governor/source` resolves workspace packages to their source.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: './',
  resolve: { conditions: ['@governor/source', 'browser', 'module', 'import', 'default'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
});
