-- approval_request: the open approval for a call's key, or a new PENDING one.
-- KEYS: 1 key index (key → id), 2 the tenant's approval index (zset by creation), 3 the current approval's hash
--       (the one KEYS[1] named when the caller read it, or a placeholder), 4 the new approval's hash
-- ARGV: 1 clock, 2 the id KEYS[1] held when read ('' = none), 3 new id, 4 fixed part JSON, 5 audit members,
--       6 scopePath, 7 kind, 8 name, 9 unit, 10 amount, 11 ttl ms
local now = now_ms(ARGV[1])
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[2] then return cjson.encode({ k = 'retry' }) end
if current then
  local v = redis.call('HMGET', KEYS[3], 'status', 'exp')
  local status = v[1] and approval_status(v[1], v[2], now)
  if status and status ~= 'USED' and status ~= 'EXPIRED' then return cjson.encode({ k = 'ok', id = current }) end
end
local id = ARGV[3]
redis.call('HSET', KEYS[4], 'j', ARGV[4], 'am', ARGV[5], 'status', 'PENDING', 'created', fmt(now),
  'exp', fmt(now + tonumber(ARGV[11])), 'scopePath', ARGV[6], 'kind', ARGV[7], 'name', ARGV[8], 'unit', ARGV[9],
  'amount', ARGV[10], 'ttl', ARGV[11])
local keep = tonumber(ARGV[11]) + APPROVAL_RETENTION_MS
redis.call('PEXPIRE', KEYS[4], fmt(keep))
redis.call('SET', KEYS[1], id, 'PX', fmt(keep))
-- Index entries older than the longest ttl (30 days) and the retention name approvals Redis has dropped.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(now - 30 * 86400000 - APPROVAL_RETENTION_MS))
redis.call('ZADD', KEYS[2], fmt(now), id)
audit_append(now, approval_members(KEYS[4]))
return cjson.encode({ k = 'ok', id = id, created = true })
