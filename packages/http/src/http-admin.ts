/**
 * HttpLedgerAdmin: LedgerAdmin over the admin plane of `governor serve`
 * (/v1/admin/*, X-Admin-API-Key), plus tenants and API keys. With an
 * HttpAuthority it makes a whole `Ledger` on a server (`httpLedger`).
 */
import { randomUUID } from 'node:crypto';
import {
  type AmountChange,
  type Approval,
  type ApprovalDecision,
  type ApprovalQuery,
  type AuditPage,
  type AuditQuery,
  type AuditTrail,
  type AuditVerification,
  type BudgetDefinition,
  type BudgetInfo,
  type BudgetKey,
  type BudgetListFilter,
  type BudgetTemplate,
  type Caps,
  checkApprovalDecision,
  checkApprovalId,
  checkApprovalQuery,
  checkKey,
  checkTenant,
  type DegradationPolicy,
  fromWire,
  type GovernorPolicy,
  type Ledger,
  type LedgerAdmin,
  policySchemas as P,
  type RiskPointTable,
  toWire,
  validateRequest,
} from '@governor/core';
import {
  approvalOf,
  approvalPath,
  approvalsOf,
  decisionExchange,
  foundApprovalOf,
  listPath,
  lookupPath,
} from './approvals.js';
import { HttpAuthority } from './http-authority.js';
import {
  type Answer,
  errorOf,
  type HttpTransport,
  HttpTransport as Transport,
  type TransportOptions,
} from './transport.js';

export interface HttpLedgerAdminOptions extends TransportOptions {
  /** The admin key (X-Admin-API-Key). */
  adminKey: string;
}

export type FundOperation = 'CREDIT' | 'DEBIT' | 'RESET' | 'RESET_SPENT' | 'REPAY_DEBT';

export interface Tenant {
  tenantId: string;
  name?: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'CLOSED';
  createdAtMs: number;
  updatedAtMs: number;
}

export interface ApiKeyInfo {
  keyId: string;
  tenantId: string;
  name?: string;
  status: 'ACTIVE' | 'REVOKED';
  createdAtMs: number;
  revokedAtMs?: number;
}

export interface PolicyView {
  templates: BudgetTemplate[];
  degradation?: DegradationPolicy;
  riskPoints?: RiskPointTable;
}

const enc = encodeURIComponent;
const ADMIN_APPROVALS = '/v1/admin/approvals';

/** The input of a LedgerAdmin call, validated here as every ledger validates it: nothing malformed is sent. */
const valid = <T>(schema: Parameters<typeof validateRequest>[0], input: T): T =>
  validateRequest(schema, input) as T;

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export class HttpLedgerAdmin implements LedgerAdmin, AuditTrail {
  readonly transport: HttpTransport;

  constructor(options: HttpLedgerAdminOptions) {
    this.transport = new Transport({
      ...options,
      headers: { ...options.headers, 'x-admin-api-key': options.adminKey },
    });
  }

  async #call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object): Promise<T> {
    const answer: Answer = await this.transport.send(`admin ${method} ${path}`, {
      method,
      path,
      ...(body !== undefined ? { body: toWire(body) } : {}),
    });
    if (answer.status < 200 || answer.status > 299) throw errorOf(`${method} ${path}`, answer);
    return fromWire<T>(answer.body);
  }

  // ---- tenants and keys ------------------------------------------------------------------

  createTenant(tenantId: string, name?: string): Promise<Tenant> {
    return this.#call('POST', '/v1/admin/tenants', { tenantId, ...(name ? { name } : {}) });
  }
  listTenants(): Promise<Tenant[]> {
    return this.#call<{ tenants: Tenant[] }>('GET', '/v1/admin/tenants').then((r) => r.tenants);
  }
  getTenant(tenantId: string): Promise<Tenant> {
    return this.#call('GET', `/v1/admin/tenants/${enc(tenantId)}`);
  }
  setTenantStatus(tenantId: string, action: 'suspend' | 'reactivate' | 'close'): Promise<Tenant> {
    return this.#call('POST', `/v1/admin/tenants/${enc(tenantId)}/${action}`);
  }
  /** A new API key for the tenant: `apiKey` is shown this once. */
  createApiKey(tenantId: string, name?: string): Promise<ApiKeyInfo & { apiKey: string }> {
    return this.#call('POST', `/v1/admin/tenants/${enc(tenantId)}/api-keys`, name ? { name } : {});
  }
  listApiKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    return this.#call<{ apiKeys: ApiKeyInfo[] }>('GET', `/v1/admin/tenants/${enc(tenantId)}/api-keys`).then(
      (r) => r.apiKeys,
    );
  }
  revokeApiKey(keyId: string): Promise<ApiKeyInfo> {
    return this.#call('POST', `/v1/admin/api-keys/${enc(keyId)}/revoke`);
  }

  // ---- budgets ---------------------------------------------------------------------------

  async createBudget(definition: BudgetDefinition): Promise<BudgetInfo> {
    return this.#call('POST', '/v1/admin/budgets', valid(P.budgetDefinition, definition));
  }
  /** One funding operation, idempotent by `idempotencyKey` (generated when absent). */
  fundBudget(change: BudgetKey & { operation: FundOperation; amount?: number; idempotencyKey?: string }) {
    return this.#call<BudgetInfo>('POST', '/v1/admin/budgets/fund', {
      ...change,
      idempotencyKey: change.idempotencyKey ?? `fund-${randomUUID()}`,
    });
  }
  async fund(change: AmountChange) {
    return this.fundBudget({ ...valid(P.amountChange, change), operation: 'CREDIT' });
  }
  async debit(change: AmountChange) {
    return this.fundBudget({ ...valid(P.amountChange, change), operation: 'DEBIT' });
  }
  async setAllocation(change: AmountChange) {
    return this.fundBudget({ ...valid(P.amountChange, change), operation: 'RESET' });
  }
  async resetSpent(input: BudgetKey) {
    const key = valid(P.budgetKey, input);
    return this.fundBudget({ scope: key.scope, unit: key.unit, operation: 'RESET_SPENT' });
  }
  async setOverdraftLimit(change: AmountChange): Promise<BudgetInfo> {
    return this.#call('POST', '/v1/admin/budgets/overdraft-limit', valid(P.amountChange, change));
  }
  async setCaps(key: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo> {
    return this.#call('POST', '/v1/admin/budgets/caps', valid(P.capsChange, key));
  }
  async freeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#call('POST', '/v1/admin/budgets/freeze', valid(P.budgetKey, key));
  }
  async unfreeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#call('POST', '/v1/admin/budgets/unfreeze', valid(P.budgetKey, key));
  }
  async close(key: BudgetKey): Promise<BudgetInfo> {
    return this.#call('POST', '/v1/admin/budgets/close', valid(P.budgetKey, key));
  }
  async getBudget(input: BudgetKey): Promise<BudgetInfo | undefined> {
    const key = valid(P.budgetKey, input);
    const params = new URLSearchParams({ scope: key.scope, unit: key.unit });
    try {
      return await this.#call<BudgetInfo>('GET', `/v1/admin/budgets/lookup?${params}`);
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }
  async listBudgets(input: BudgetListFilter = {}): Promise<BudgetInfo[]> {
    const filter = valid(P.budgetListFilter, input);
    const q = filter.tenant !== undefined ? `?tenant=${enc(filter.tenant)}` : '';
    return this.#call<{ budgets: BudgetInfo[] }>('GET', `/v1/admin/budgets${q}`).then((r) => r.budgets);
  }

  // ---- policy ----------------------------------------------------------------------------

  getPolicy(): Promise<PolicyView> {
    return this.#call('GET', '/v1/admin/policies');
  }
  async addTemplate(template: BudgetTemplate): Promise<void> {
    await this.#call('POST', '/v1/admin/policies/templates', valid(P.budgetTemplate, template));
  }
  async listTemplates(): Promise<BudgetTemplate[]> {
    return (await this.getPolicy()).templates ?? [];
  }
  async setDegradationPolicy(policy: DegradationPolicy | undefined): Promise<void> {
    if (policy === undefined) await this.#call('DELETE', '/v1/admin/policies/degradation');
    else await this.#call('PUT', '/v1/admin/policies/degradation', valid(P.degradationPolicy, policy));
  }
  async getDegradationPolicy(): Promise<DegradationPolicy | undefined> {
    return (await this.getPolicy()).degradation ?? undefined;
  }
  async setRiskPoints(table: RiskPointTable): Promise<void> {
    await this.#call('PUT', '/v1/admin/policies/risk-points', table);
  }
  /** Push a whole policy (a parsed policy file); resolves with the policy's budgets as the server has them. */
  applyPolicy(policy: GovernorPolicy): Promise<{ budgets: BudgetInfo[]; policy: PolicyView }> {
    return this.#call('POST', '/v1/admin/policies/apply', policy);
  }
  async sweepExpired(): Promise<number> {
    return (await this.#call<{ expired: number }>('POST', '/v1/admin/sweep')).expired;
  }

  // ---- audit trail -----------------------------------------------------------------------

  /** The server ledger's trail (every tenant's, with the admin key); records as the ledger keeps them. */
  async queryAudit(query: AuditQuery = {}): Promise<AuditPage> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(snakeCase(k), String(v));
    const qs = params.size > 0 ? `?${params}` : '';
    return this.#raw<AuditPage>('GET', `/v1/admin/audit${qs}`);
  }

  async verifyAudit(tenant: string): Promise<AuditVerification> {
    return this.#raw('GET', `/v1/admin/audit/verify?tenant=${enc(tenant)}`);
  }

  /** Release a live reservation as an operator (recorded as made by the admin key). */
  forceRelease(reservationId: string): Promise<{ status: 'RELEASED' }> {
    return this.#call('POST', `/v1/admin/reservations/${enc(reservationId)}/release`);
  }

  // ---- approvals -------------------------------------------------------------------------

  /** Every tenant's approvals (or one tenant's), newest first. */
  async listApprovals(query: ApprovalQuery = {}): Promise<Approval[]> {
    const path = listPath(ADMIN_APPROVALS, checkApprovalQuery(query));
    return approvalsOf('listApprovals', await this.#send('GET', path));
  }
  async getApproval(tenant: string, approvalId: string): Promise<Approval> {
    const path = approvalPath(ADMIN_APPROVALS, checkTenant(tenant), checkApprovalId(approvalId));
    return approvalOf('getApproval', await this.#send('GET', path));
  }
  async findApproval(tenant: string, key: string): Promise<Approval | undefined> {
    const path = lookupPath(ADMIN_APPROVALS, checkTenant(tenant), checkKey(key));
    return foundApprovalOf('findApproval', await this.#send('GET', path), key);
  }
  /** Approve or reject; recorded as decided by `actor`, else by the admin key (`admin`). */
  async decideApproval(decision: ApprovalDecision): Promise<Approval> {
    const { path, body } = decisionExchange(ADMIN_APPROVALS, checkApprovalDecision(decision));
    return approvalOf('decideApproval', await this.#send('POST', path, body));
  }

  #send(method: 'GET' | 'POST', path: string, body?: object): Promise<Answer> {
    return this.transport.send(`admin ${method} ${path}`, { method, path, ...(body ? { body } : {}) });
  }

  /** An answer's body as the server sent it (audit records are camelCase already, and hashed as they are). */
  async #raw<T>(method: 'GET', path: string): Promise<T> {
    const answer: Answer = await this.transport.send(`admin ${method} ${path}`, { method, path });
    if (answer.status < 200 || answer.status > 299) throw errorOf(`${method} ${path}`, answer);
    return answer.body as T;
  }

  /** Close the connection pool. */
  dispose(): Promise<void> {
    return this.transport.close();
  }
}

export interface HttpLedgerOptions extends TransportOptions {
  apiKey: string;
  adminKey: string;
}

/** A whole Ledger on a Governor server: the runtime over a tenant's key, provisioning over the admin key. */
export function httpLedger(options: HttpLedgerOptions): Ledger & { dispose(): Promise<void> } {
  const runtime = new HttpAuthority(options);
  const admin = new HttpLedgerAdmin(options);
  const ledger = {
    reserve: runtime.reserve.bind(runtime),
    commit: runtime.commit.bind(runtime),
    release: runtime.release.bind(runtime),
    extend: runtime.extend.bind(runtime),
    decide: runtime.decide.bind(runtime),
    event: runtime.event.bind(runtime),
    balances: runtime.balances.bind(runtime),
    getReservation: runtime.getReservation.bind(runtime),
    listReservations: runtime.listReservations.bind(runtime),
    createBudget: admin.createBudget.bind(admin),
    fund: admin.fund.bind(admin),
    debit: admin.debit.bind(admin),
    setAllocation: admin.setAllocation.bind(admin),
    setOverdraftLimit: admin.setOverdraftLimit.bind(admin),
    setCaps: admin.setCaps.bind(admin),
    freeze: admin.freeze.bind(admin),
    unfreeze: admin.unfreeze.bind(admin),
    close: admin.close.bind(admin),
    resetSpent: admin.resetSpent.bind(admin),
    getBudget: admin.getBudget.bind(admin),
    listBudgets: admin.listBudgets.bind(admin),
    addTemplate: admin.addTemplate.bind(admin),
    listTemplates: admin.listTemplates.bind(admin),
    setDegradationPolicy: admin.setDegradationPolicy.bind(admin),
    getDegradationPolicy: admin.getDegradationPolicy.bind(admin),
    sweepExpired: admin.sweepExpired.bind(admin),
    async dispose() {
      await Promise.all([runtime.close(), admin.dispose()]);
    },
  };
  return ledger;
}
