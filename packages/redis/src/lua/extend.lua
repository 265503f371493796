-- extend: push the expiry out by extendByMs, relative to the current expiry, until the expiry itself.
-- KEYS: 1 reservation hash, 2 idempotency record, 3 expiry zset, 4.. the reservation's budget keys
-- ARGV: 1 test clock ('' = Redis TIME), 2 fingerprint, 3 idempotency retention ms, 4 reservation id, 5 extendByMs,
--       6 max extensions (-1 = unlimited)
local now = now_ms(ARGV[1])
if sweep_due(KEYS[3], now) then return cjson.encode({ k = 'sweep' }) end
local r = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'grace', 'extensions', 'budgetKeys', 'detail', 'unit', 'amount')
-- A replay answers even once the reservation hash is gone (its answer is kept longer).
local stored = idem_lookup(KEYS[2], ARGV[2])
if stored == 'MISMATCH' then return cjson.encode({ k = 'mismatch' }) end
if stored then return cjson.encode({ k = 'replay', o = stored, status = r[1], now = fmt(now) }) end
if not r[1] then return cjson.encode({ k = 'notfound' }) end
if not keys_match(r[5], KEYS, 4) then return cjson.encode({ k = 'keys' }) end
if r[1] == 'EXPIRED' then return cjson.encode({ k = 'expired' }) end
if r[1] ~= 'ACTIVE' then return cjson.encode({ k = 'finalized', status = r[1] }) end
local expires = tonumber(r[2])
if now > expires then return cjson.encode({ k = 'toolate', exp = r[2] }) end
local max = tonumber(ARGV[6])
if max >= 0 and tonumber(r[4]) >= max then return cjson.encode({ k = 'maxext', max = ARGV[6] }) end
expires = expires + tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'expiresAt', fmt(expires), 'extensions', fmt(tonumber(r[4]) + 1))
redis.call('ZADD', KEYS[3], fmt(expires + tonumber(r[3])), ARGV[4])
local list = load_list(KEYS, 4)
local encoded = cjson.encode({ k = 'ok', exp = fmt(expires), b = snapshots(list) })
idem_store(KEYS[2], ARGV[2], encoded, ARGV[3])
audit_append(now, reservation_members(r[6], r[7], tonumber(r[8])) .. ',"detail":{"extendByMs":' .. fmt(tonumber(ARGV[5])) ..
  ',"expiresAtMs":' .. fmt(expires) .. '}', list)
return cjson.encode({ k = 'fresh', o = encoded, status = 'ACTIVE', now = fmt(now) })
