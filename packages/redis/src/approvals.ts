/**
 * Approvals on Redis: a hash per approval, the latest approval per call key,
 * an index per tenant; asked for and decided by a script each
 * (approval_request.lua, approval_decide.lua), used by reserve.lua in the same
 * script as the reserve it admits. Reads are plain hash reads, their status
 * decided by the ledger's clock.
 */
import { createHash } from 'node:crypto';
import {
  type Approval,
  type ApprovalDecision,
  type ApprovalQuery,
  type ApprovalRequest,
  approvalAt,
  checkApprovalDecision,
  checkApprovalId,
  checkApprovalQuery,
  checkApprovalRequest,
  checkKey,
  checkTenant,
  InternalError,
  InvalidRequestError,
  NotFoundError,
  newApproval,
  newApprovalId,
} from '@governor/core';
import { approvalDraft, currentAuditContext } from '@governor/core/ledger';
import type { LedgerParts } from './ledger-parts.js';

const keyHash = (key: string) => createHash('sha256').update(key).digest('hex');

/** The fixed part of an approval, as stored (`j`). */
type Fixed = Omit<
  Approval,
  'status' | 'expiresAtMs' | 'decidedAtMs' | 'decidedBy' | 'note' | 'usedAtMs' | 'reservationId'
>;

export class RedisApprovals {
  constructor(readonly parts: LedgerParts) {}

  async request(input: ApprovalRequest): Promise<Approval> {
    const req = checkApprovalRequest(input);
    const { calls, keys, tenants } = this.parts;
    const tenant = req.subject.tenant;
    await tenants.add(tenant);
    const indexKey = keys.approvalKey(tenant, keyHash(req.key));
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = (await calls.redis(() => calls.client.get(indexKey))) ?? '';
      const clock = await calls.now();
      const fresh = newApproval(newApprovalId(), req, 0);
      const { status: _s, expiresAtMs: _e, createdAtMs: _c, ...fixed } = fresh;
      // The record's members that say which call it is for: core's approval record, without its operation and detail.
      const { operation: _op, detail: _detail, ...call } = approvalDraft('approval.request', fresh);
      const members = JSON.stringify(call).slice(1, -1);
      const out = await calls.script(
        'approval_request',
        [
          indexKey,
          keys.approvals(tenant),
          keys.approval(tenant, current),
          keys.approval(tenant, fresh.approvalId),
        ],
        [
          clock,
          current,
          fresh.approvalId,
          JSON.stringify(fixed),
          members,
          fresh.scopePath,
          req.action.kind,
          req.action.name,
          req.estimate.unit,
          req.estimate.amount,
          req.ttlMs,
        ],
        { tenant, members: { operation: 'approval.request' } },
      );
      if (out.k === 'ok') return this.get(tenant, out.id as string);
    }
    throw new InternalError(`approval for key ${req.key} kept changing while it was asked for`);
  }

  async find(tenantInput: string, keyInput: string): Promise<Approval | undefined> {
    const tenant = checkTenant(tenantInput);
    const { calls, keys } = this.parts;
    const id = await calls.redis(() =>
      calls.client.get(keys.approvalKey(tenant, keyHash(checkKey(keyInput)))),
    );
    return id ? this.#read(tenant, id, await this.#now()) : undefined;
  }

  async get(tenantInput: string, idInput: string): Promise<Approval> {
    const tenant = checkTenant(tenantInput);
    const id = checkApprovalId(idInput);
    const found = await this.#read(tenant, id, await this.#now());
    if (!found) throw new NotFoundError(`Approval ${id} not found in tenant ${tenant}`);
    return found;
  }

  async list(input?: ApprovalQuery): Promise<Approval[]> {
    const query = checkApprovalQuery(input);
    const { calls, keys, tenants } = this.parts;
    const now = await this.#now();
    const scope = query.tenant !== undefined ? [query.tenant] : await tenants.all();
    const out: Approval[] = [];
    for (const tenant of scope) {
      const ids = await calls.redis(() => calls.client.zrevrange(keys.approvals(tenant), 0, -1));
      for (const id of ids) {
        const a = await this.#read(tenant, id, now);
        if (a && (query.status === undefined || a.status === query.status)) out.push(a);
      }
    }
    out.sort((x, y) => y.createdAtMs - x.createdAtMs || (x.approvalId < y.approvalId ? -1 : 1));
    return out.slice(0, query.limit ?? 100);
  }

  async decide(input: ApprovalDecision): Promise<Approval> {
    const d = checkApprovalDecision(input);
    const { calls, keys } = this.parts;
    const status = d.decision === 'APPROVE' ? 'APPROVED' : 'REJECTED';
    const actor = d.actor ?? currentAuditContext().actor;
    const operation = d.decision === 'APPROVE' ? 'approval.approve' : 'approval.reject';
    const out = await calls.script(
      'approval_decide',
      [keys.approval(d.tenant, d.approvalId)],
      [await calls.now(), status, actor, d.note ?? ''],
      { tenant: d.tenant, members: { operation } },
    );
    if (out.k === 'notfound')
      throw new NotFoundError(`Approval ${d.approvalId} not found in tenant ${d.tenant}`);
    if (out.k === 'state') {
      throw new InvalidRequestError(
        `approval ${d.approvalId} is ${out.s}, not PENDING: it can no longer be ${d.decision === 'APPROVE' ? 'approved' : 'rejected'}`,
        { approval_id: d.approvalId, status: out.s },
      );
    }
    return this.get(d.tenant, d.approvalId);
  }

  /** The ledger's time: the test clock, or Redis TIME. */
  async #now(): Promise<number> {
    const { calls } = this.parts;
    const clock = await calls.now();
    if (clock !== '') return Number(clock);
    const [s, us] = await calls.redis(() => calls.client.time());
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async #read(tenant: string, id: string, now: number): Promise<Approval | undefined> {
    const { calls, keys } = this.parts;
    const h = await calls.redis(() => calls.client.hgetall(keys.approval(tenant, id)));
    if (!h.j || !h.status) return undefined;
    const fixed = JSON.parse(h.j) as Fixed;
    if (fixed.tenant !== tenant) return undefined;
    const a: Approval = {
      ...fixed,
      status: h.status as Approval['status'],
      createdAtMs: Number(h.created),
      expiresAtMs: Number(h.exp),
    };
    if (h.decidedAt) a.decidedAtMs = Number(h.decidedAt);
    if (h.decidedBy) a.decidedBy = h.decidedBy;
    if (h.note) a.note = h.note;
    if (h.usedAt) a.usedAtMs = Number(h.usedAt);
    if (h.rid) a.reservationId = h.rid;
    return approvalAt(a, now);
  }
}
