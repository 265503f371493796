/**
 * The operator console in a real browser (Debian's chromium, driven by
 * playwright-core): a server on a MemoryAuthority serves the console built
 * from this source; a governed agent (Governor → HttpAuthority → the server,
 * with a tenant key) makes calls, and the test watches the page — the DENY in
 * the live stream within a second of its reserve, the budget bar showing the
 * spend, a freeze clicked in the console denying the next reserve
 * (BUDGET_FROZEN), a reservation's explain panel and a force-release.
 * Screenshots go to packages/console/test-output/ (UPDATE_SCREENSHOT=1 also
 * writes docs/console.png). Without chromium it fails under CI=true, and is
 * skipped elsewhere.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApprovalRequiredError,
  BudgetDeniedError,
  createGovernor,
  type Governor,
  governToolCall,
  MemoryAuthority,
  USD,
} from '@governor/core';
import { HttpAuthority, HttpLedgerAdmin } from '@governor/http';
import { createServer, type GovernorServer } from '@governor/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const OUTPUT = join(PACKAGE, 'test-output');
const ADMIN_KEY = 'console-e2e-admin-key-0123456789';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const haveChromium = existsSync(CHROMIUM);
const MISSING = `chromium is missing at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`;
// In CI a missing browser is a failed test; on a developer's machine the suite is skipped.
if (!haveChromium && process.env.CI) {
  it('operator console in chromium: chromium is installed', () => expect.fail(MISSING));
}
const suite = haveChromium ? describe : describe.skip;

const llm = { kind: 'llm.completion', name: 'gpt-4o-mini' } as const;
const dollars = (n: number) => Math.round(n * USD);

suite('operator console in chromium', { timeout: 120_000 }, () => {
  let bundle: string;
  let ledger: MemoryAuthority;
  let server: GovernorServer;
  let url: string;
  let browser: Browser;
  let page: Page;
  let governor: Governor;
  let http: HttpAuthority;
  /** Script errors and console errors (a CSP violation among them) of the page: there must be none but the expected 401. */
  const problems: string[] = [];

  beforeAll(async () => {
    bundle = mkdtempSync(join(tmpdir(), 'governor-console-'));
    await build({
      configFile: join(PACKAGE, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: bundle, emptyOutDir: true },
    });
    mkdirSync(OUTPUT, { recursive: true });

    ledger = new MemoryAuthority();
    server = await createServer({
      authority: ledger,
      adminKey: ADMIN_KEY,
      rateLimit: false,
      console: bundle,
    });
    url = await server.listen({ port: 0, host: '127.0.0.1' });
    const admin = new HttpLedgerAdmin({ baseUrl: url, adminKey: ADMIN_KEY });
    await admin.createTenant('acme');
    const { apiKey } = await admin.createApiKey('acme');
    await admin.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: dollars(1) });
    await admin.createBudget({ scope: 'tenant:acme/workflow:support', unit: 'RISK_POINTS', allocated: 10 });
    await admin.dispose();

    http = new HttpAuthority({ baseUrl: url, apiKey, timeoutMs: 5_000 });
    governor = createGovernor({
      authority: http,
      subject: { tenant: 'acme', workflow: 'support', run: 'run-4821' },
      heartbeat: false,
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await server?.close();
    if (bundle) rmSync(bundle, { recursive: true, force: true });
  });

  /** One governed model call: reserve its estimate, "run", commit what it cost. */
  const call = (estimate: number, actual: number) =>
    governor.run({ action: llm, estimate: { unit: 'USD_MICROCENTS', amount: estimate } }, () => ({
      value: 'ok',
      actual: { unit: 'USD_MICROCENTS', amount: actual },
    }));
  const email = () =>
    governor.run(
      { action: { kind: 'tool.call', name: 'send_email' }, estimate: { unit: 'RISK_POINTS', amount: 1 } },
      () => ({ value: 'sent', actual: { unit: 'RISK_POINTS', amount: 1 } }),
    );
  const budgetRow = (scope: string, unit: string) =>
    page.locator(`tr[data-scope="${scope}"][data-unit="${unit}"]`);

  it('asks for the admin key, refuses a wrong one, then goes live', async () => {
    const res = await page.goto(`${url}/console`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${url}/console/`);
    await page.fill('input[name="admin-key"]', 'not-the-key');
    await page.click('button[type="submit"]');
    await page.waitForSelector('text=That is not the admin key of this server.');
    await page.fill('input[name="admin-key"]', ADMIN_KEY);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-link="live"]', { timeout: 10_000 });
    await expect.poll(() => budgetRow('tenant:acme', 'USD_MICROCENTS').count()).toBe(1);
  });

  it('shows the DENY in the live stream within a second of its reserve, and the spend in the budget bar', async () => {
    for (let i = 0; i < 4; i++) await call(dollars(0.2), dollars(0.15));
    await email();
    await email();

    const reserveAt = Date.now();
    const denied = await call(dollars(0.5), dollars(0.5)).catch((e: unknown) => e);
    expect(BudgetDeniedError.isInstance(denied)).toBe(true);
    const row = page.locator('li.event[data-decision="DENY"]').first();
    await row.waitFor({ timeout: 1_000 });
    const receivedAt = Number(await row.getAttribute('data-received-at'));
    const delayMs = receivedAt - reserveAt;
    console.log(`DENY visible in the console's stream ${delayMs.toFixed(0)} ms after the reserve was sent`);
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThan(1_000);
    await expect.poll(() => row.textContent()).toContain('BUDGET_EXCEEDED');

    const usd = budgetRow('tenant:acme', 'USD_MICROCENTS');
    await expect.poll(() => usd.getAttribute('data-spent')).toBe(String(dollars(0.6)));
    expect(await usd.textContent()).toContain('$0.60 spent');
    expect(Number(await usd.locator('.bar').getAttribute('data-utilisation'))).toBeCloseTo(0.6, 4);
    const spentWidth = await usd.locator('.bar .spent').evaluate((el) => (el as HTMLElement).style.width);
    expect(spentWidth).toBe('60%');
    expect(await budgetRow('tenant:acme/workflow:support', 'RISK_POINTS').textContent()).toContain(
      '2 pt spent',
    );

    // The run's spend and its denial, with the reason.
    const run = page.locator('tr[data-run="run-4821"]');
    await expect.poll(() => run.textContent()).toContain('$0.60');
    expect(await run.textContent()).toContain('gpt-4o-mini: BUDGET_EXCEEDED');
    await expect
      .poll(() => page.locator('.chart .figure').getAttribute('data-total'))
      .toBe(String(dollars(0.6)));
    await page.screenshot({ path: join(OUTPUT, 'console.png') });
    if (process.env.UPDATE_SCREENSHOT) {
      copyFileSync(join(OUTPUT, 'console.png'), join(PACKAGE, '../../docs/console.png'));
    }
  });

  it('freezing a budget from the console makes the next reserve DENY with BUDGET_FROZEN', async () => {
    const usd = budgetRow('tenant:acme', 'USD_MICROCENTS');
    await usd.locator('button', { hasText: 'Freeze' }).click();
    await expect.poll(() => usd.getAttribute('data-status')).toBe('FROZEN');
    expect((await ledger.getBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS' }))?.status).toBe('FROZEN');

    const denied = await call(dollars(0.01), dollars(0.01)).catch((e: unknown) => e);
    expect(BudgetDeniedError.isInstance(denied)).toBe(true);
    expect((denied as BudgetDeniedError).reasonCode).toBe('BUDGET_FROZEN');
    await expect
      .poll(() => page.locator('li.event[data-decision="DENY"]').first().textContent())
      .toContain('BUDGET_FROZEN');

    await usd.locator('button', { hasText: 'Unfreeze' }).click();
    await expect.poll(() => usd.getAttribute('data-status')).toBe('ACTIVE');
    await usd.locator('button', { hasText: 'Fund' }).click();
    await usd.locator('input[name="amount"]').fill('0.50');
    await usd.locator('button', { hasText: 'Add' }).click();
    await expect.poll(() => usd.textContent()).toContain('left of $1.50');
  });

  it("opens a reservation's explain answer and force-releases an open one", async () => {
    const handle = await governor.begin({
      action: llm,
      estimate: { unit: 'USD_MICROCENTS', amount: dollars(0.1) },
    });
    const id = handle.grant.reservationId as string;
    const open = page.locator('.open button', { hasText: 'gpt-4o-mini' });
    await open.first().waitFor({ timeout: 2_000 });
    await open.first().click();
    const panel = page.locator(`aside.reservation[data-reservation="${id}"]`);
    await expect.poll(() => panel.textContent()).toMatch(/ALLOW: every scope had room/);
    await page.screenshot({ path: join(OUTPUT, 'reservation.png') });
    await panel.locator('button', { hasText: 'Force release' }).click();
    await expect.poll(async () => (await ledger.getReservation(id)).status).toBe('RELEASED');
    await expect.poll(() => panel.locator('.records').textContent()).toContain('release');
    await handle.release('already released by the operator').catch(() => {});
  });

  it('approves a paused tool call from the console: the call then runs once, its approval USED', async () => {
    const approving = createGovernor({
      authority: http,
      subject: { tenant: 'acme', workflow: 'support', run: 'run-4821' },
      heartbeat: false,
      loopBreaker: false,
      riskPoints: { rules: [{ name: 'issue_refund', points: 25 }] },
      approvals: { when: [{ tools: ['issue_refund'] }] },
    });
    let refunds = 0;
    const refund = () =>
      governToolCall({ governor: approving }, { name: 'issue_refund', args: { order: 'o-1' } }, () => {
        refunds += 1;
        return 'refunded';
      });
    const paused = await refund().catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(ApprovalRequiredError);
    const id = (paused as ApprovalRequiredError).approval.approvalId;
    // The previous test's reservation panel covers the page: close it.
    await page.locator('aside.reservation button', { hasText: 'Close' }).click();
    const row = page.locator(`tr[data-approval="${id}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('PENDING');
    expect(await row.textContent()).toContain('BUDGET_EXCEEDED at tenant:acme/workflow:support');
    await page.screenshot({ path: join(OUTPUT, 'approvals.png') });
    await row.locator('button', { hasText: 'Approve' }).click();
    await expect.poll(() => row.getAttribute('data-status')).toBe('APPROVED');
    expect(await ledger.getApproval('acme', id)).toMatchObject({ status: 'APPROVED', decidedBy: 'admin' });
    expect(refunds).toBe(0);

    expect(await refund()).toBe('refunded');
    expect(refunds).toBe(1);
    await expect.poll(() => row.getAttribute('data-status')).toBe('USED');
    const risk = await ledger.getBudget({ scope: 'tenant:acme/workflow:support', unit: 'RISK_POINTS' });
    expect(risk).toMatchObject({ spent: 27, reserved: 0, remaining: 0 });
  });

  it('ran without script errors or CSP violations', () => {
    // The wrong key of the first test is refused with a 401, which the browser reports.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
