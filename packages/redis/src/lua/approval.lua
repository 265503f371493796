-- Approvals (see core's approvals/rules.ts: the same rules), prepended to reserve.lua and the
-- approval scripts after lib.lua. An approval is a hash: the fields a reserve checks (scopePath,
-- kind, name, unit, amount, ttl), its state (status, exp, decidedAt, decidedBy, note, usedAt, rid),
-- `j` (its fixed part as JSON, written by the caller) and `am` (its audit record's members).

-- Kept this long after its deadline or its use (core's APPROVAL_RETENTION_MS), then Redis drops it.
local APPROVAL_RETENTION_MS = 86400000

-- The status at `now`: PENDING or APPROVED past `exp` reads EXPIRED.
local function approval_status(status, exp, now)
  if (status == 'PENDING' or status == 'APPROVED') and now >= tonumber(exp) then return 'EXPIRED' end
  return status
end

-- Does the approval at `key` (id `id`) admit a reserve of `amount` `unit` by (kind, name) on `scope_path`?
local function approval_admits(key, id, now, scope_path, kind, name, unit, amount)
  local v = redis.call('HMGET', key, 'status', 'exp', 'scopePath', 'kind', 'name', 'unit', 'amount')
  if not v[1] or string.sub(key, -#id - 1) ~= ':' .. id then return false end
  return approval_status(v[1], v[2], now) == 'APPROVED' and v[3] == scope_path and v[4] == kind and v[5] == name and
    v[6] == unit and amount <= tonumber(v[7])
end

-- Raise every budget that cannot hold `amount` by what it lacks (none when a budget would deny anyway):
-- `b.raised` is its raise, which the reservation keeps (`raised`) for give_back_raise at its settlement.
local function raise_for_approval(list, amount)
  for _, b in ipairs(list) do
    if b.status ~= 'ACTIVE' or b.debt > 0 or b.over then return end
  end
  for _, b in ipairs(list) do
    local lacking = amount - remaining(b)
    if lacking > 0 then
      b.allocated = b.allocated + lacking
      b.raised = lacking
    end
  end
end

-- The audit members of an approval record: the call it is for, and where the approval stands.
local function approval_members(key)
  local v = redis.call('HMGET', key, 'am', 'j', 'status', 'decidedBy', 'note')
  local j = cjson.decode(v[2])
  local detail = '"approvalId":' .. cjson.encode(j.approvalId) .. ',"status":' .. cjson.encode(v[3]) ..
    ',"key":' .. cjson.encode(j.key)
  if v[4] then detail = detail .. ',"decidedBy":' .. cjson.encode(v[4]) end
  if v[5] then detail = detail .. ',"note":' .. cjson.encode(v[5]) end
  return v[1] .. ',"detail":{' .. detail .. '}'
end
