-- idem_put: remember an answer decided outside a script (a DENY for a scope without budgets).
-- KEYS: 1 idempotency record   ARGV: 1 fingerprint, 2 outcome json, 3 retention ms
local stored = idem_lookup(KEYS[1], ARGV[1])
if stored == 'MISMATCH' then return cjson.encode({ k = 'mismatch' }) end
if stored then return cjson.encode({ k = 'replay', o = stored }) end
idem_store(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
audit_append(now_ms(AUDIT_CLOCK), '')
return cjson.encode({ k = 'replay', o = ARGV[2] })
