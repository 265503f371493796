/**
 * Approvals on the wire of `governor serve`, shared by HttpAuthority (a
 * tenant's key, `/v1/approvals…`) and HttpLedgerAdmin (the admin key,
 * `/v1/admin/approvals…`): the same paths under either base, snake_case
 * bodies, and answers checked for an approval's shape before they are believed.
 */
import {
  type Approval,
  type ApprovalDecision,
  type ApprovalQuery,
  type ApprovalRequest,
  fromWire,
  toWire,
} from '@governor/core';
import { AmbiguousResponseError, type Answer, errorOf, isObject } from './transport.js';

type Json = Record<string, unknown>;
const enc = encodeURIComponent;

/** An approval request as JSON: `blocked_scope` kept (the runtime wire drops `blockedScope`). */
export function approvalRequestToWire(request: ApprovalRequest): Json {
  const { blockedScope, ...rest } = request;
  return { ...toWire(rest), ...(blockedScope !== undefined ? { blocked_scope: blockedScope } : {}) };
}

export const approvalPath = (base: string, tenant: string, approvalId: string) =>
  `${base}/${enc(approvalId)}?tenant=${enc(tenant)}`;

export const lookupPath = (base: string, tenant: string, key: string) =>
  `${base}/lookup?tenant=${enc(tenant)}&key=${enc(key)}`;

export function listPath(base: string, query: ApprovalQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(toWire(query))) if (v !== undefined) params.set(k, String(v));
  return params.size > 0 ? `${base}?${params}` : base;
}

/** Where a decision goes and what it carries: the decision is the path's (approve or reject). */
export function decisionExchange(base: string, d: ApprovalDecision): { path: string; body: Json } {
  const verb = d.decision === 'APPROVE' ? 'approve' : 'reject';
  const body: Json = { tenant: d.tenant };
  if (d.actor !== undefined) body.actor = d.actor;
  if (d.note !== undefined) body.note = d.note;
  return { path: `${base}/${enc(d.approvalId)}/${verb}`, body };
}

function success(operation: string, answer: Answer): Json {
  if (answer.status < 200 || answer.status > 299) throw errorOf(operation, answer);
  if (answer.status !== 200 || !isObject(answer.body))
    throw new AmbiguousResponseError(
      operation,
      answer.status,
      answer.body,
      'expected HTTP 200 and a JSON object',
    );
  return answer.body;
}

const approvalShape = (operation: string, answer: Answer, body: unknown): Approval => {
  const ok = isObject(body) && typeof body.approval_id === 'string' && typeof body.status === 'string';
  if (!ok) throw new AmbiguousResponseError(operation, answer.status, body, 'not an approval');
  return fromWire<Approval>(body);
};

/** The approval an answer carries, or the error it means. */
export const approvalOf = (operation: string, answer: Answer): Approval =>
  approvalShape(operation, answer, success(operation, answer));

/** The approvals of a list answer. */
export function approvalsOf(operation: string, answer: Answer): Approval[] {
  const body = success(operation, answer);
  if (!Array.isArray(body.approvals))
    throw new AmbiguousResponseError(operation, answer.status, body, 'approvals must be an array');
  return body.approvals.map((a) => approvalShape(operation, answer, a));
}

/**
 * A lookup's approval; undefined when the server has none for the key (its
 * 404 names the key). Any other 404 — a server without approvals, or
 * without these routes — is the NotFoundError it is.
 */
export function foundApprovalOf(operation: string, answer: Answer, key: string): Approval | undefined {
  const body = isObject(answer.body) ? answer.body : undefined;
  const details = isObject(body?.details) ? body.details : undefined;
  if (answer.status === 404 && body?.error === 'NOT_FOUND' && details?.key === key) return undefined;
  return approvalOf(operation, answer);
}
