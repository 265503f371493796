-- release: return the whole estimate to every budget of the reservation, and its approval's raise.
-- KEYS: 1 reservation hash, 2 idempotency record, 3 expiry zset, 4 finalized zset, 5 reservation index,
--       6.. the reservation's budget keys
-- ARGV: 1 test clock ('' = Redis TIME), 2 fingerprint, 3 idempotency retention ms, 4 reservation retention ms, 5 reservation id,
--       6 balances wanted (1|0)
local now = now_ms(ARGV[1])
if sweep_due(KEYS[3], now) then return cjson.encode({ k = 'sweep' }) end
local r = redis.call('HMGET', KEYS[1], 'status', 'unit', 'amount', 'budgetKeys', 'detail', 'raised')
-- A replay answers even once the reservation hash is gone (its answer is kept longer).
local stored = idem_lookup(KEYS[2], ARGV[2])
if stored == 'MISMATCH' then return cjson.encode({ k = 'mismatch' }) end
if stored then return cjson.encode({ k = 'replay', o = stored }) end
if not r[1] then return cjson.encode({ k = 'notfound' }) end
if not keys_match(r[4], KEYS, 6) then return cjson.encode({ k = 'keys' }) end
if r[1] == 'EXPIRED' then return cjson.encode({ k = 'expired' }) end
if r[1] ~= 'ACTIVE' then return cjson.encode({ k = 'finalized', status = r[1] }) end
local list = load_list(KEYS, 6)
local amount = tonumber(r[3])
for _, b in ipairs(list) do
  b.reserved = b.reserved - amount
  redis.call('HSET', b.key, 'reserved', fmt(b.reserved))
end
give_back_raise(list, r[6], 6, amount)
finalize(KEYS[1], ARGV[5], 'RELEASED', now, KEYS[3], KEYS[4], KEYS[5], ARGV[4])
local encoded = cjson.encode({ k = 'ok', unit = r[2], reserved = r[3], b = ARGV[6] == '1' and snapshots(list) or nil })
idem_store(KEYS[2], ARGV[2], encoded, ARGV[3])
audit_append(now, reservation_members(r[5], r[2], amount) .. ',"released":' .. amount_json(r[2], amount), list)
return encoded
