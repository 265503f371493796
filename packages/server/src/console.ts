/**
 * The operator console's static files at /console/. The files are built by
 * packages/console (Vite); a packed @governor/server carries them in
 * dist/console, a checkout finds them in packages/console/dist. The page is
 * public; everything it shows comes from the admin API, with the key the
 * operator types in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const PUBLIC = { config: { plane: 'public' as const } };
/** Only this origin's scripts, styles and API; no frames. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The built console: next to this module when packed (dist/console), else the workspace's packages/console/dist. */
export function findConsoleDir(): string | undefined {
  for (const candidate of ['./console/', '../../console/dist/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** Serve the console from `dir` (default: the built one); a 503 that says how to build it when there is none. */
export async function registerConsole(app: FastifyInstance, dir: string | undefined = findConsoleDir()) {
  app.get('/console', PUBLIC, (_request, reply) => reply.redirect('/console/'));
  if (dir === undefined || !existsSync(join(dir, 'index.html'))) {
    app.get('/console/*', PUBLIC, (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The operator console is not built: run `pnpm build` (it builds packages/console).\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    index: ['index.html'],
    decorateReply: false,
    cacheControl: false,
    setHeaders(reply, path) {
      reply.header('Content-Security-Policy', CSP);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Referrer-Policy', 'no-referrer');
      // Vite names assets by content hash: they never change; the page itself always revalidates.
      reply.header(
        'Cache-Control',
        path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
}
