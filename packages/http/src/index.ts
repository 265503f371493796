/**
 * `@governor/http`: HttpAuthority — the Authority port over HTTP to any
 * Cycles Protocol v0 server — and HttpLedgerAdmin, the admin plane of
 * `governor serve`; `@governor/http/sse` follows its live audit stream (also in a browser).
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
export {
  type AuditStreamOptions,
  AuditStreamRefused,
  followAuditStream,
  parseSseBlock,
  readSse,
  type SseEvent,
} from './sse.js';
export { AmbiguousResponseError, HttpTransport, type TransportOptions } from './transport.js';
