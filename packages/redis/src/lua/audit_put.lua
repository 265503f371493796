-- audit_put: append a record of a change made outside the ledger (an API key created or revoked).
-- KEYS: the audit stream and head only.  ARGV: the audit arguments only (see lib.lua).
audit_append(now_ms(AUDIT_CLOCK), '')
local head = redis.call('HMGET', AUDIT_HEAD, 'n', 'ms')
return cjson.encode({ k = 'ok', id = head[2] .. '-' .. head[1] })
