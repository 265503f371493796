import { defineConfig } from 'vitest/config';

// Every workspace package resolves to its TypeScript source through the
// `@governor/source` export condition, so tests never need a build first.
export default defineConfig({
  resolve: { conditions: ['@governor/source'] },
  ssr: { resolve: { conditions: ['@governor/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    globalSetup: ['./vitest.global-setup.ts'],
  },
});
