/** The operator console's static files at /console/: redirect, headers, caching, and the page when it is not built. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support.js';

let built: TestServer;
let missing: TestServer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'governor-console-files-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Governor console</title>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  built = await startTestServer({ console: dir });
  missing = await startTestServer({ console: join(dir, 'not-there') });
});
afterAll(async () => {
  await built.close();
  await missing.close();
});

describe('operator console files', () => {
  it('redirects /console to /console/ and serves the page with a strict CSP, revalidated', async () => {
    const r = await built.req('GET', '/console', { key: null });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/console/');
    const page = await built.req('GET', '/console/', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('Governor console');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'.*connect-src 'self'/);
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  it('serves hashed assets as immutable, and 404 for a file that is not there', async () => {
    const js = await built.req('GET', '/console/assets/index-abc123.js', { key: null });
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    expect((await built.req('GET', '/console/assets/nope.js', { key: null })).status).toBe(404);
    expect([403, 404]).toContain(
      (await built.req('GET', '/console/%2e%2e/index.html', { key: null })).status,
    );
  });

  it('says how to build the console when there are no files', async () => {
    const r = await missing.req('GET', '/console/', { key: null });
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/not built: run `pnpm build`/);
  });

  it('is off unless asked for', async () => {
    const plain = await startTestServer();
    expect((await plain.req('GET', '/console/', { key: null })).status).toBe(404);
    await plain.close();
  });
});
