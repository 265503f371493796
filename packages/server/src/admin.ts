/**
 * The admin plane under /v1/admin/*, authorised by the admin key: tenants,
 * API keys, budgets (with idempotent funding) and policy (templates,
 * degradation tiers, risk points — the model of the policy file). Bodies and
 * answers are snake_case, like the runtime plane.
 */
import {
  type AmountChange,
  applyPolicy,
  type BudgetDefinition,
  type BudgetInfo,
  type BudgetKey,
  type BudgetTemplate,
  type Caps,
  canonicalJson,
  type DegradationPolicy,
  IdempotencyMismatchError,
  InvalidRequestError,
  isAuditWriter,
  NAME_PATTERN,
  NotFoundError,
  parsePolicy,
  policySchemas,
  type RiskPointTable,
  TenantClosedError,
  toWire,
  validate,
} from '@governor/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newApiKey } from './keys.js';
import type { ServerContext } from './server.js';
import type { ApiKeyRecord, TenantRecord, TenantStatus } from './store.js';
import { bodyFromWire, one, type Query } from './wire.js';

const ADMIN = { config: { plane: 'admin' as const } };
const FUND_OPERATIONS = ['CREDIT', 'DEBIT', 'RESET', 'RESET_SPENT', 'REPAY_DEBT'] as const;
const ANSWER_TTL_MS = 24 * 60 * 60 * 1000;

const tenantCreate = z.strictObject({
  tenantId: z.string().min(1).max(128).regex(NAME_PATTERN),
  name: z.string().max(256).optional(),
});
const keyCreate = z.strictObject({ name: z.string().max(256).optional() });
const fundRequest = z.strictObject({
  scope: z.string().min(1).max(1024),
  unit: z.string(),
  operation: z.enum(FUND_OPERATIONS),
  amount: z.number().optional(),
  idempotencyKey: z.string().min(1).max(256),
});

type TenantParams = { tenant: string };

const keyView = (k: ApiKeyRecord) =>
  toWire({
    keyId: k.keyId,
    tenantId: k.tenantId,
    name: k.name,
    status: k.status,
    createdAtMs: k.createdAtMs,
    revokedAtMs: k.revokedAtMs,
  });

export function registerAdmin(app: FastifyInstance, ctx: ServerContext) {
  const { ledger, store, now, call } = ctx;

  /** API keys live in the identity store, not the ledger: their changes are appended to the tenant's trail. */
  const recordKey = async (operation: 'key.create' | 'key.revoke', k: ApiKeyRecord) => {
    if (!isAuditWriter(ledger)) return;
    const detail = { keyId: k.keyId, ...(k.name !== undefined ? { name: k.name } : {}) };
    await call('audit append', ledger.appendAudit({ tenant: k.tenantId, operation, detail }));
  };

  const tenantOr404 = async (tenantId: string): Promise<TenantRecord> => {
    const t = await store.getTenant(tenantId);
    if (!t) throw new NotFoundError(`tenant ${tenantId} not found`);
    return t;
  };

  // ---- tenants ---------------------------------------------------------------------------

  app.post('/v1/admin/tenants', ADMIN, async (request, reply) => {
    const body = validate(tenantCreate, bodyFromWire(request.body));
    const at = now();
    const record: TenantRecord = {
      tenantId: body.tenantId,
      ...(body.name !== undefined ? { name: body.name } : {}),
      status: 'ACTIVE',
      createdAtMs: at,
      updatedAtMs: at,
    };
    // Creating a tenant that exists answers the existing one (200), so a retried create is safe.
    if (await store.createTenant(record)) return reply.code(201).send(toWire(record));
    return toWire(await tenantOr404(body.tenantId));
  });

  app.get('/v1/admin/tenants', ADMIN, async () => ({
    tenants: (await store.listTenants()).map((t) => toWire(t)),
  }));

  app.get<{ Params: TenantParams }>('/v1/admin/tenants/:tenant', ADMIN, async (request) =>
    toWire(await tenantOr404(request.params.tenant)),
  );

  const transition = (action: string, to: TenantStatus) =>
    app.post<{ Params: TenantParams }>(`/v1/admin/tenants/:tenant/${action}`, ADMIN, async (request) => {
      const tenant = await tenantOr404(request.params.tenant);
      if (tenant.status === 'CLOSED') {
        if (to === 'CLOSED') return toWire(tenant);
        throw new TenantClosedError(`tenant ${tenant.tenantId} is closed`);
      }
      const at = now();
      if (to === 'CLOSED') {
        // The cascade: flip the tenant first (mutations are refused from now on), then revoke
        // every key and close every budget.
        await store.setTenantStatus(tenant.tenantId, 'CLOSED', at);
        ctx.tenants.forget(tenant.tenantId);
        for (const key of await store.listKeys(tenant.tenantId)) await store.revokeKey(key.keyId, at);
        for (const budget of await call('listBudgets', ledger.listBudgets({ tenant: tenant.tenantId }))) {
          if (budget.status !== 'CLOSED') {
            await call('close', ledger.close({ scope: budget.scope, unit: budget.unit }));
          }
        }
      }
      const next = await store.setTenantStatus(tenant.tenantId, to, at);
      ctx.tenants.forget(tenant.tenantId);
      return toWire(next);
    });
  transition('suspend', 'SUSPENDED');
  transition('reactivate', 'ACTIVE');
  transition('close', 'CLOSED');

  // ---- API keys --------------------------------------------------------------------------

  app.post<{ Params: TenantParams }>('/v1/admin/tenants/:tenant/api-keys', ADMIN, async (request, reply) => {
    const tenant = await tenantOr404(request.params.tenant);
    if (tenant.status === 'CLOSED') throw new TenantClosedError(`tenant ${tenant.tenantId} is closed`);
    const body = validate(keyCreate, bodyFromWire(request.body ?? {}));
    const key = newApiKey();
    const record: ApiKeyRecord = {
      keyId: key.keyId,
      tenantId: tenant.tenantId,
      ...(body.name !== undefined ? { name: body.name } : {}),
      status: 'ACTIVE',
      createdAtMs: now(),
      salt: key.salt,
      hash: key.hash,
    };
    await store.createKey(record);
    await recordKey('key.create', record);
    // The only time the key is ever shown.
    return reply.code(201).send({ ...keyView(record), api_key: key.apiKey });
  });

  app.get<{ Params: TenantParams }>('/v1/admin/tenants/:tenant/api-keys', ADMIN, async (request) => {
    await tenantOr404(request.params.tenant);
    return { api_keys: (await store.listKeys(request.params.tenant)).map(keyView) };
  });

  const revoke = async (keyId: string) => {
    const k = await store.revokeKey(keyId, now());
    if (!k) throw new NotFoundError(`API key ${keyId} not found`);
    await recordKey('key.revoke', k);
    return keyView(k);
  };
  app.post<{ Params: { keyId: string } }>('/v1/admin/api-keys/:keyId/revoke', ADMIN, async (request) =>
    revoke(request.params.keyId),
  );
  app.delete<{ Params: { keyId: string } }>('/v1/admin/api-keys/:keyId', ADMIN, async (request) =>
    revoke(request.params.keyId),
  );

  // ---- budgets ---------------------------------------------------------------------------

  app.post('/v1/admin/budgets', ADMIN, async (request, reply) => {
    const body = bodyFromWire<BudgetDefinition>(request.body);
    return reply.code(201).send(toWire(await call('createBudget', ledger.createBudget(body))));
  });

  app.get('/v1/admin/budgets', ADMIN, async (request) => {
    const tenant = one(request.query as Query, 'tenant');
    const budgets = await call('listBudgets', ledger.listBudgets(tenant !== undefined ? { tenant } : {}));
    return { budgets: budgets.map((b) => toWire(b)) };
  });

  app.get('/v1/admin/budgets/lookup', ADMIN, async (request) => {
    const q = request.query as Query;
    const key = validate(policySchemas.budgetKey, {
      scope: one(q, 'scope'),
      unit: one(q, 'unit'),
    }) as BudgetKey;
    const budget = await call('getBudget', ledger.getBudget(key));
    if (!budget) throw new NotFoundError(`no ${key.unit} budget at ${key.scope}`);
    return toWire(budget);
  });

  app.post('/v1/admin/budgets/fund', ADMIN, async (request) => {
    const body = validate(fundRequest, bodyFromWire(request.body));
    const { idempotencyKey, ...change } = body;
    const fingerprint = canonicalJson(change);
    const seen = await store.recall('fund', idempotencyKey);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        throw new IdempotencyMismatchError(`idempotency key ${idempotencyKey} was used for another funding`);
      }
      return seen.answer;
    }
    const key = { scope: change.scope, unit: change.unit } as BudgetKey;
    const amount = (): AmountChange => {
      if (change.amount === undefined)
        throw new InvalidRequestError([{ path: 'amount', message: 'is required' }]);
      return { ...key, amount: change.amount };
    };
    let info: BudgetInfo;
    switch (change.operation) {
      case 'CREDIT':
        info = await call('fund', ledger.fund(amount()));
        break;
      case 'DEBIT':
        info = await call('debit', ledger.debit(amount()));
        break;
      case 'RESET':
        info = await call('setAllocation', ledger.setAllocation(amount()));
        break;
      case 'RESET_SPENT':
        info = await call('resetSpent', ledger.resetSpent(key));
        break;
      case 'REPAY_DEBT': {
        const want = amount();
        const budget = await call('getBudget', ledger.getBudget(key));
        if (!budget) throw new NotFoundError(`no ${key.unit} budget at ${key.scope}`);
        // Funding repays debt first: repaying at most the debt never raises the allocation.
        const repay = Math.min(want.amount, budget.debt);
        info = repay > 0 ? await call('fund', ledger.fund({ ...key, amount: repay })) : budget;
        break;
      }
    }
    const answer = toWire(info);
    await store.remember('fund', idempotencyKey, { fingerprint, answer }, ANSWER_TTL_MS);
    return answer;
  });

  const keyed = (action: 'freeze' | 'unfreeze' | 'close') =>
    app.post(`/v1/admin/budgets/${action}`, ADMIN, async (request) => {
      const key = bodyFromWire<BudgetKey>(request.body);
      return toWire(await call(action, ledger[action](key)));
    });
  keyed('freeze');
  keyed('unfreeze');
  keyed('close');

  app.post('/v1/admin/budgets/caps', ADMIN, async (request) => {
    const body = bodyFromWire<BudgetKey & { caps?: Caps }>(request.body);
    return toWire(await call('setCaps', ledger.setCaps(body)));
  });
  app.post('/v1/admin/budgets/overdraft-limit', ADMIN, async (request) => {
    const body = bodyFromWire<AmountChange>(request.body);
    return toWire(await call('setOverdraftLimit', ledger.setOverdraftLimit(body)));
  });

  // ---- policy ----------------------------------------------------------------------------

  const policyView = async () => {
    const [templates, degradation, riskPoints] = await Promise.all([
      call('listTemplates', ledger.listTemplates()),
      call('getDegradationPolicy', ledger.getDegradationPolicy()),
      store.getSetting('riskPoints'),
    ]);
    return toWire({ templates, degradation, riskPoints });
  };

  app.get('/v1/admin/policies', ADMIN, policyView);

  app.post('/v1/admin/policies/templates', ADMIN, async (request, reply) => {
    const body = bodyFromWire<BudgetTemplate>(request.body);
    await call('addTemplate', ledger.addTemplate(body));
    return reply.code(201).send(await policyView());
  });

  app.put('/v1/admin/policies/degradation', ADMIN, async (request) => {
    const body = bodyFromWire<DegradationPolicy>(request.body);
    await call('setDegradationPolicy', ledger.setDegradationPolicy(body));
    return policyView();
  });
  app.delete('/v1/admin/policies/degradation', ADMIN, async () => {
    await call('setDegradationPolicy', ledger.setDegradationPolicy(undefined));
    return policyView();
  });

  app.put('/v1/admin/policies/risk-points', ADMIN, async (request) => {
    const table = validate(policySchemas.riskPointTable, bodyFromWire(request.body)) as RiskPointTable;
    await store.setSetting('riskPoints', table);
    return policyView();
  });

  /** A whole policy file (budgets, templates, degradation, risk points), as `governor budgets apply` pushes it. */
  app.post('/v1/admin/policies/apply', ADMIN, async (request) => {
    const policy = parsePolicy(bodyFromWire(request.body));
    await call('applyPolicy', applyPolicy(ledger, policy));
    if (policy.riskPoints) await store.setSetting('riskPoints', policy.riskPoints);
    const mine = new Set((policy.budgets ?? []).map((b) => `${b.scope}\n${b.unit}`));
    const budgets = (await call('listBudgets', ledger.listBudgets())).filter((b) =>
      mine.has(`${b.scope}\n${b.unit}`),
    );
    return { budgets: budgets.map((b) => toWire(b)), policy: await policyView() };
  });

  app.post('/v1/admin/sweep', ADMIN, async () => ({
    expired: await call('sweepExpired', ledger.sweepExpired()),
  }));
}
