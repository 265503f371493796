/** The admin API of the server that serves the page, with the operator's key. */
import type { Approval, AuditRecord, BudgetInfo, Explanation, Tenant } from './types.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface AuditPage {
  records: AuditRecord[];
  cursor: string;
  hasMore: boolean;
}

/** snake_case wire keys to camelCase, deeply (the admin plane answers in snake_case). */
export function camel<T>(value: unknown): T {
  if (Array.isArray(value)) return value.map((v) => camel(v)) as T;
  if (value === null || typeof value !== 'object') return value as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = camel(v);
  return out as T;
}

export class Api {
  constructor(
    readonly key: string,
    readonly baseUrl: string = location.origin,
  ) {}

  get headers(): Record<string, string> {
    return { 'x-admin-api-key': this.key };
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { ...this.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const answer = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    if (!res.ok)
      throw new ApiError(res.status, answer.error ?? 'HTTP', answer.message ?? `HTTP ${res.status}`);
    return answer as T;
  }

  async tenants(): Promise<Tenant[]> {
    return camel<Tenant[]>((await this.#call<{ tenants: unknown[] }>('GET', '/v1/admin/tenants')).tenants);
  }
  async budgets(): Promise<BudgetInfo[]> {
    return camel<BudgetInfo[]>(
      (await this.#call<{ budgets: unknown[] }>('GET', '/v1/admin/budgets')).budgets,
    );
  }
  /** Credit a budget; idempotent per click. */
  fund(scope: string, unit: string, amount: number): Promise<unknown> {
    const idempotency_key = `console-fund-${crypto.randomUUID()}`;
    return this.#call('POST', '/v1/admin/budgets/fund', {
      scope,
      unit,
      operation: 'CREDIT',
      amount,
      idempotency_key,
    });
  }
  setFrozen(scope: string, unit: string, frozen: boolean): Promise<unknown> {
    return this.#call('POST', `/v1/admin/budgets/${frozen ? 'freeze' : 'unfreeze'}`, { scope, unit });
  }
  release(reservationId: string): Promise<unknown> {
    return this.#call('POST', `/v1/admin/reservations/${encodeURIComponent(reservationId)}/release`);
  }
  explain(reservationId: string): Promise<Explanation> {
    return this.#call('GET', `/v1/admin/audit/explain/${encodeURIComponent(reservationId)}`);
  }
  /** Every tenant's latest approvals, newest first. */
  async approvals(): Promise<Approval[]> {
    const answer = await this.#call<{ approvals: unknown[] }>('GET', '/v1/admin/approvals?limit=50');
    return camel<Approval[]>(answer.approvals);
  }
  /** Approve or reject a pending approval (recorded as decided by the admin key). */
  decide(
    approval: Pick<Approval, 'tenant' | 'approvalId'>,
    decision: 'approve' | 'reject',
  ): Promise<unknown> {
    const path = `/v1/admin/approvals/${encodeURIComponent(approval.approvalId)}/${decision}`;
    return this.#call('POST', path, { tenant: approval.tenant });
  }
  audit(params: Record<string, string>): Promise<AuditPage> {
    return this.#call('GET', `/v1/admin/audit?${new URLSearchParams(params)}`);
  }
}
