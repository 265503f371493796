/**
 * The audit trail on Redis: a Stream per tenant (`<tag>:audit`, ids
 * `<ledger ms>-<n>`), appended by the same script as each change (see
 * lib.lua, audit_append), read back here: queries page through XRANGE and
 * use core's filter and cursors; verify walks a tenant's chain.
 */
import {
  AUDIT_ALL_TENANTS,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type AuditVerification,
  InternalError,
  InvalidRequestError,
  verifyChain,
} from '@governor/core';
import { type AuditAppend, collectPage, parseAuditQuery, validateAuditAppend } from '@governor/core/ledger';
import type { LedgerParts } from './ledger-parts.js';

const PAGE = 500;
type Entry = [id: string, fields: string[]];

function recordOf([id, fields]: Entry): AuditRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  if (f.b === undefined || f.h === undefined)
    throw new InternalError(`audit entry ${id} has no body or hash`);
  return { ...(JSON.parse(f.b) as AuditRecord), id, prevHash: f.p ?? '', hash: f.h, body: f.b };
}

export class RedisAuditTrail {
  constructor(readonly parts: LedgerParts) {}

  #enabled(): void {
    if (!this.parts.settings.audit)
      throw new InvalidRequestError('this RedisAuthority keeps no audit trail (audit: false)');
  }

  /** Records of `tenant` after stream id `after` ('' = from the start), oldest first, in pages. */
  async *#entries(tenant: string, after: string, fromMs?: number): AsyncGenerator<AuditRecord> {
    const { calls, keys } = this.parts;
    let start = after ? `(${after}` : fromMs !== undefined ? `${fromMs}-0` : '-';
    for (;;) {
      const page = (await calls.redis(() =>
        calls.client.xrange(keys.audit(tenant), start, '+', 'COUNT', PAGE),
      )) as Entry[];
      for (const entry of page) yield recordOf(entry);
      if (page.length < PAGE) return;
      start = `(${(page.at(-1) as Entry)[0]}`;
    }
  }

  async query(input?: AuditQuery): Promise<AuditPage> {
    this.#enabled();
    const q = parseAuditQuery(input);
    const tenants =
      q.tenant !== undefined ? [q.tenant] : [...(await this.parts.tenants.all()), AUDIT_ALL_TENANTS];
    return collectPage(
      tenants,
      (tenant) => this.#entries(tenant, q.positions.get(tenant) ?? '', q.fromMs),
      q,
    );
  }

  async verify(tenant: string): Promise<AuditVerification> {
    this.#enabled();
    const records: AuditRecord[] = [];
    for await (const r of this.#entries(tenant, '')) records.push(r);
    return verifyChain(tenant, records);
  }

  async append(input: AuditAppend): Promise<AuditRecord> {
    this.#enabled();
    const entry = validateAuditAppend(input);
    const { calls, keys, tenants } = this.parts;
    if (entry.tenant !== AUDIT_ALL_TENANTS) await tenants.add(entry.tenant);
    const out = await calls.script('audit_put', [], [], { tenant: entry.tenant, members: entry });
    const [appended] = (await calls.redis(() =>
      calls.client.xrange(keys.audit(entry.tenant), out.id as string, out.id as string),
    )) as Entry[];
    if (!appended) throw new InternalError(`audit record ${out.id} was not found after appending it`);
    return recordOf(appended);
  }
}
