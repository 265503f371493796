-- budget_create: a new budget; refuses one that exists for the scope and unit.
-- KEYS: 1 budget hash, 2 budget index set
-- ARGV: 1 scope, 2 unit, 3 allocated, 4 overdraft limit, 5 caps json or '', 6 isolated (1|0),
--       7 rate limits json or '', 8 period argument (see period.lua) or '', 9 test clock ('' = Redis TIME)
local now = now_ms(ARGV[9])
if redis.call('EXISTS', KEYS[1]) == 1 then return cjson.encode({ k = 'exists' }) end
local b = new_budget(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1')
b.rl = ARGV[7]
if ARGV[8] ~= '' then period_init(b, ARGV[8]) end
save_budget(b)
if b.rl ~= '' then redis.call('HSET', KEYS[1], 'rateLimits', b.rl) end
redis.call('SADD', KEYS[2], ARGV[1] .. '\n' .. ARGV[2])
audit_append(now, '', { b })
return cjson.encode({ k = 'ok', b = snapshot(b) })
