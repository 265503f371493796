-- commit: charge the actual amount under the reservation's overage policy, release the rest.
-- KEYS: 1 reservation hash, 2 idempotency record, 3 expiry zset, 4 finalized zset, 5 reservation index,
--       6.. the reservation's budget keys
-- ARGV: 1 test clock ('' = Redis TIME), 2 fingerprint, 3 idempotency retention ms, 4 reservation retention ms,
--       5 reservation id, 6 actual unit, 7 actual amount, 8 committed metadata json or '', 9 balances wanted (1|0)
local now = now_ms(ARGV[1])
if sweep_due(KEYS[3], now) then return cjson.encode({ k = 'sweep' }) end
local r = redis.call('HMGET', KEYS[1], 'status', 'unit', 'amount', 'policy', 'detail', 'budgetKeys', 'raised')
-- A replay answers even once the reservation hash is gone (its answer is kept longer).
local stored = idem_lookup(KEYS[2], ARGV[2])
if stored == 'MISMATCH' then return cjson.encode({ k = 'mismatch' }) end
if stored then return cjson.encode({ k = 'replay', o = stored }) end
if not r[1] then return cjson.encode({ k = 'notfound' }) end
if not keys_match(r[6], KEYS, 6) then return cjson.encode({ k = 'keys' }) end
if r[1] == 'EXPIRED' then return cjson.encode({ k = 'expired' }) end
if r[1] ~= 'ACTIVE' then return cjson.encode({ k = 'finalized', status = r[1] }) end
if ARGV[6] ~= r[2] then return cjson.encode({ k = 'unit', unit = r[2], detail = r[5] }) end
local list = load_list(KEYS, 6)
local reserved = tonumber(r[3])
local charged, debts, overs = plan_settlement(list, reserved, tonumber(ARGV[7]), r[4])
if not charged then return cjson.encode({ k = 'error', e = debts }) end
apply_settlement(list, reserved, charged, debts, overs)
give_back_raise(list, r[7], 6, reserved - charged)
local extra = { 'committed', fmt(charged) }
if ARGV[8] ~= '' then extra[3] = 'committedMetadata'; extra[4] = ARGV[8] end
finalize(KEYS[1], ARGV[5], 'COMMITTED', now, KEYS[3], KEYS[4], KEYS[5], ARGV[4], extra)
local encoded = cjson.encode({ k = 'ok', unit = r[2], reserved = r[3], charged = fmt(charged), b = ARGV[9] == '1' and snapshots(list) or nil })
idem_store(KEYS[2], ARGV[2], encoded, ARGV[3])
local members = reservation_members(r[5], r[2], reserved) .. ',"actual":' .. amount_json(ARGV[6], tonumber(ARGV[7])) ..
  ',"charged":' .. amount_json(r[2], charged)
if reserved > charged then members = members .. ',"released":' .. amount_json(r[2], reserved - charged) end
audit_append(now, members, list)
return encoded
