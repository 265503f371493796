-- due: ids of this tenant's reservations past expiry + grace (read only).
-- KEYS: 1 expiry zset   ARGV: 1 test clock ('' = Redis TIME), 2 limit
local now = now_ms(ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. fmt(now), 'LIMIT', 0, tonumber(ARGV[2]))
