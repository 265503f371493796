/**
 * HTTP conformance plumbing: a Governor server over a fresh ledger, one API
 * key per tenant the suite uses, and a Ledger that routes each runtime call
 * through HttpAuthority with the key of the call's tenant (provisioning goes
 * over the admin plane). Every runtime answer seen is recorded, to be
 * validated against the Cycles Protocol v0 OpenAPI schemas.
 */
import type { ApprovalLedger, Ledger } from '@governor/core';
import { HttpAuthority, HttpLedgerAdmin } from '@governor/http';
import { createServer, type IdentityStore, newApiKey, type ServerOptions } from '@governor/server';

export const TENANTS = ['acme', 'globex', 'other', 'initech'] as const;
export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface SeenAnswer {
  operation: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** The schema a runtime answer must satisfy. */
export const SUCCESS_SCHEMA: Record<string, string> = {
  reserve: 'ReservationCreateResponse',
  decide: 'DecisionResponse',
  commit: 'CommitResponse',
  release: 'ReleaseResponse',
  extend: 'ReservationExtendResponse',
  event: 'EventCreateResponse',
  balances: 'BalanceResponse',
  getReservation: 'ReservationDetail',
  listReservations: 'ReservationListResponse',
};

/** Provision tenants and keys straight into the store; returns tenant → API key. */
export async function provisionTenants(store: IdentityStore, tenants: readonly string[] = TENANTS) {
  const keys: Record<string, string> = {};
  for (const tenantId of tenants) {
    await store.createTenant({ tenantId, status: 'ACTIVE', createdAtMs: 0, updatedAtMs: 0 });
    const key = newApiKey();
    await store.createKey({
      keyId: key.keyId,
      tenantId,
      status: 'ACTIVE',
      createdAtMs: 0,
      salt: key.salt,
      hash: key.hash,
    });
    keys[tenantId] = key.apiKey;
  }
  return keys;
}

export interface HttpLedgerHarness {
  /** Approvals: asked for and read with the tenant's key, listed across tenants and decided with the admin key. */
  ledger: Ledger & ApprovalLedger;
  url: string;
  close(): Promise<void>;
}

/**
 * Serve `backend` and hand back a Ledger over HTTP. `seen` collects every
 * runtime answer (operation, status, headers, body).
 */
export async function httpLedgerOver(
  backend: Ledger,
  seen: SeenAnswer[],
  options: Partial<ServerOptions> = {},
): Promise<HttpLedgerHarness> {
  const server = await createServer({
    authority: backend,
    adminKey: ADMIN_KEY,
    rateLimit: false,
    ...options,
  });
  const keys = await provisionTenants(server.store);
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  const clients = new Map<string, HttpAuthority>();
  for (const [tenant, apiKey] of Object.entries(keys)) {
    const client = new HttpAuthority({ baseUrl: url, apiKey, connections: 64, timeoutMs: 20_000 });
    const send = client.transport.send.bind(client.transport);
    client.transport.send = async (operation, exchange) => {
      const answer = await send(operation, exchange);
      // Approvals are Governor's, not the protocol's: only their error envelopes are the protocol's.
      if (SUCCESS_SCHEMA[operation] !== undefined || answer.status >= 400)
        seen.push({ operation, status: answer.status, headers: answer.headers, body: answer.body });
      return answer;
    };
    clients.set(tenant, client);
  }
  const admin = new HttpLedgerAdmin({ baseUrl: url, adminKey: ADMIN_KEY, timeoutMs: 20_000 });
  const owner = new Map<string, string>();
  const client = (tenant: unknown) =>
    clients.get(typeof tenant === 'string' ? tenant : 'acme') ?? (clients.get('acme') as HttpAuthority);
  const byId = (id: string) => client(owner.get(id));

  // Without a tenant filter the router lists for every tenant it holds a key of: the one
  // tenant with rows answers as it is (its cursor remembered), several are drained and joined.
  const cursorOwner = new Map<string, string>();
  const listAcrossTenants = async (query: Parameters<Ledger['listReservations']>[0] = {}) => {
    if (query.tenant !== undefined) return client(query.tenant).listReservations(query);
    if (query.cursor !== undefined) {
      const tenant = cursorOwner.get(query.cursor) ?? 'acme';
      const page = await client(tenant).listReservations(query);
      if (page.nextCursor) cursorOwner.set(page.nextCursor, tenant);
      return page;
    }
    const pages = await Promise.all(
      [...clients.entries()].map(async ([tenant, c]) => ({ tenant, page: await c.listReservations(query) })),
    );
    const withRows = pages.filter((p) => p.page.reservations.length > 0);
    if (withRows.length <= 1) {
      const only = withRows[0] ?? (pages.find((p) => p.tenant === 'acme') as (typeof pages)[number]);
      if (only.page.nextCursor) cursorOwner.set(only.page.nextCursor, only.tenant);
      return only.page;
    }
    const reservations = [];
    for (const { tenant, page } of withRows) {
      reservations.push(...page.reservations);
      let cursor = page.nextCursor;
      while (cursor) {
        const next = await client(tenant).listReservations({ ...query, cursor });
        reservations.push(...next.reservations);
        cursor = next.nextCursor;
      }
    }
    return { reservations };
  };

  const ledger: Ledger & ApprovalLedger = {
    async reserve(request) {
      const tenant = (request as { subject?: { tenant?: unknown } })?.subject?.tenant;
      const answer = await client(tenant).reserve(request);
      if (answer.reservationId) owner.set(answer.reservationId, tenant as string);
      return answer;
    },
    commit: (id, request) => byId(id).commit(id, request),
    release: (id, request) => byId(id).release(id, request),
    extend: (id, request) => byId(id).extend(id, request),
    decide: (request) =>
      client((request as { subject?: { tenant?: unknown } })?.subject?.tenant).decide(request),
    event: (request) =>
      client((request as { subject?: { tenant?: unknown } })?.subject?.tenant).event(request),
    balances: (query) => client(query?.tenant).balances(query),
    getReservation: (id) => byId(id).getReservation(id),
    listReservations: (query) => listAcrossTenants(query),
    createBudget: (d) => admin.createBudget(d),
    fund: (c) => admin.fund(c),
    debit: (c) => admin.debit(c),
    setAllocation: (c) => admin.setAllocation(c),
    setOverdraftLimit: (c) => admin.setOverdraftLimit(c),
    setCaps: (k) => admin.setCaps(k),
    freeze: (k) => admin.freeze(k),
    unfreeze: (k) => admin.unfreeze(k),
    close: (k) => admin.close(k),
    resetSpent: (k) => admin.resetSpent(k),
    getBudget: (k) => admin.getBudget(k),
    listBudgets: (f) => admin.listBudgets(f),
    addTemplate: (t) => admin.addTemplate(t),
    listTemplates: () => admin.listTemplates(),
    setDegradationPolicy: (p) => admin.setDegradationPolicy(p),
    getDegradationPolicy: () => admin.getDegradationPolicy(),
    sweepExpired: () => admin.sweepExpired(),
    requestApproval: (request) =>
      client((request as { subject?: { tenant?: unknown } })?.subject?.tenant).requestApproval(request),
    findApproval: (tenant, key) => client(tenant).findApproval(tenant, key),
    getApproval: (tenant, id) => client(tenant).getApproval(tenant, id),
    listApprovals: (query) =>
      query?.tenant === undefined ? admin.listApprovals(query) : client(query.tenant).listApprovals(query),
    decideApproval: (decision) => admin.decideApproval(decision),
  };
  return {
    ledger,
    url,
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
      await admin.dispose();
      await server.close();
    },
  };
}
