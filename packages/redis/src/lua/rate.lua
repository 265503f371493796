-- Rate limits and the loop breaker (see core's ledger/rate-limits.ts: the same rules), prepended to
-- reserve.lua after lib.lua. A window is a sorted set of the allowed reservations, scored by time,
-- member "rid\namount\nkind\nname"; only ALLOWs are added, atomically with the reserve.

local function window_entries(key, since)
  local out = redis.call('ZRANGEBYSCORE', key, '(' .. fmt(since), '+inf', 'WITHSCORES')
  local entries = {}
  for i = 1, #out, 2 do
    local m = out[i]
    local p1 = string.find(m, '\n', 1, true)
    local p2 = string.find(m, '\n', p1 + 1, true)
    local p3 = string.find(m, '\n', p2 + 1, true)
    entries[#entries + 1] = { at = tonumber(out[i + 1]), amount = tonumber(string.sub(m, p1 + 1, p2 - 1)),
      kind = string.sub(m, p2 + 1, p3 - 1), name = string.sub(m, p3 + 1) }
  end
  return entries
end

-- How long until `amount` fits `limit` given the matching entries in its window (oldest first); nil: now.
local function rate_retry_after(limit, log, amount, now)
  local wait = 0
  local function free_at(e) return e.at + limit.windowMs - now end
  if limit.maxCalls and #log >= limit.maxCalls then wait = free_at(log[#log - limit.maxCalls + 1]) end
  local max = limit.maxAmount
  if max and amount > max then return limit.windowMs end
  if max then
    local sum = 0
    for _, e in ipairs(log) do sum = sum + e.amount end
    local i = 1
    while sum + amount > max do
      sum = sum - log[i].amount
      wait = math.max(wait, free_at(log[i]))
      i = i + 1
    end
  end
  if wait > 0 then return wait end
  return nil
end

local function limit_matches(limit, kind, name)
  return (limit.action == nil or limit.action == name) and (limit.kind == nil or limit.kind == kind)
end

-- `list` budgets with their window keys in `wkeys` (by budget key); `loop` = { key, threshold, windowMs, scope } or nil.
-- Returns reason, scope, retry_after (or nil).
local function rate_denial(list, wkeys, kind, name, amount, loop, now)
  for _, b in ipairs(list) do
    if b.rl and b.rl ~= '' then
      for _, limit in ipairs(cjson.decode(b.rl)) do
        if limit_matches(limit, kind, name) then
          local log = {}
          for _, e in ipairs(window_entries(wkeys[b.key], now - limit.windowMs)) do
            if limit_matches(limit, e.kind, e.name) then log[#log + 1] = e end
          end
          local wait = rate_retry_after(limit, log, amount, now)
          if wait then return 'RATE_LIMITED', b.scope, wait end
        end
      end
    end
  end
  if loop then
    local seen = redis.call('ZCOUNT', loop.key, '(' .. fmt(now - loop.windowMs), '+inf')
    if seen + 1 >= loop.threshold then return 'LOOP_DETECTED', loop.scope, nil end
  end
  return nil
end

local function window_add(key, score, member, keep)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(score - keep))
  redis.call('ZADD', key, fmt(score), member)
  redis.call('PEXPIRE', key, fmt(keep))
end

local function rate_record(list, wkeys, rid, kind, name, amount, loop, now)
  local member = rid .. '\n' .. fmt(amount) .. '\n' .. kind .. '\n' .. name
  for _, b in ipairs(list) do
    if b.rl and b.rl ~= '' then
      local keep = 0
      for _, limit in ipairs(cjson.decode(b.rl)) do keep = math.max(keep, limit.windowMs) end
      window_add(wkeys[b.key], now, member, keep)
    end
  end
  if loop then window_add(loop.key, now, member, loop.windowMs) end
end
