-- approval_decide: approve or reject a PENDING approval (the same decision by the same actor again: a retry).
-- KEYS: 1 the approval's hash.  ARGV: 1 clock, 2 APPROVED|REJECTED, 3 actor, 4 note ('' = none)
local now = now_ms(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'status', 'exp', 'decidedBy', 'ttl')
if not v[1] then return cjson.encode({ k = 'notfound' }) end
local status = approval_status(v[1], v[2], now)
if status == ARGV[2] and v[3] == ARGV[3] then return cjson.encode({ k = 'ok' }) end
if status ~= 'PENDING' then return cjson.encode({ k = 'state', s = status }) end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'decidedAt', fmt(now), 'decidedBy', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'note', ARGV[4]) end
if ARGV[2] == 'APPROVED' then
  redis.call('HSET', KEYS[1], 'exp', fmt(now + tonumber(v[4])))
  redis.call('PEXPIRE', KEYS[1], fmt(tonumber(v[4]) + APPROVAL_RETENTION_MS))
end
audit_append(now, approval_members(KEYS[1]))
return cjson.encode({ k = 'ok', changed = true })
