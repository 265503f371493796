/**
 * `@governor/http`: HttpAuthority — the Authority port over HTTP to any
 * Cycles Protocol v0 server — and HttpLedgerAdmin, the admin plane of
 * `governor serve`.
 */
export {
  type ApiKeyInfo,
  type FundOperation,
  HttpLedgerAdmin,
  type HttpLedgerAdminOptions,
  type HttpLedgerOptions,
  httpLedger,
  type PolicyView,
  type Tenant,
} from './http-admin.js';
export { HttpAuthority, type HttpAuthorityOptions } from './http-authority.js';
export { AmbiguousResponseError, HttpTransport, type TransportOptions } from './transport.js';
