-- expire: one reservation past expiry + grace goes EXPIRED and its estimate (and its approval's raise)
-- returns to its budgets.
-- Safe to run from any number of sweepers: it re-checks status and deadline, so each expiry happens once.
-- KEYS: 1 reservation hash, 2 expiry zset, 3 finalized zset, 4 reservation index, 5.. its budget keys
-- ARGV: 1 test clock ('' = Redis TIME), 2 reservation id, 3 reservation retention ms
local now = now_ms(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'grace', 'amount', 'budgetKeys', 'detail', 'unit',
  'raised')
if r[1] ~= 'ACTIVE' then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
if not keys_match(r[5], KEYS, 5) then return -1 end
if tonumber(r[2]) + tonumber(r[3]) >= now then return 0 end
local amount = tonumber(r[4])
local list = load_list(KEYS, 5)
for _, b in ipairs(list) do
  b.reserved = b.reserved - amount
  redis.call('HSET', b.key, 'reserved', fmt(b.reserved))
end
give_back_raise(list, r[8], 5, amount)
finalize(KEYS[1], ARGV[2], 'EXPIRED', now, KEYS[2], KEYS[3], KEYS[4], ARGV[3])
audit_append(now, reservation_members(r[6], r[7], amount) .. ',"released":' .. amount_json(r[7], amount), list)
return 1
