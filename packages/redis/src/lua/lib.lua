-- Shared helpers, prepended to every script. Amounts are integers below 2^53:
-- Lua doubles hold them exactly, and they are always written back with
-- string.format('%.0f') (tostring would round to 14 significant digits).
local function fmt(n) return string.format('%.0f', n) end

-- Redis TIME in ms; a test clock (RedisAuthority's testClock option) passes a fixed time instead.
local function now_ms(test_now)
  if test_now ~= '' then return tonumber(test_now) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Is any reservation of this tenant past expiry + grace? Then the caller sweeps first.
local function sweep_due(exp_key, now)
  return #redis.call('ZRANGEBYSCORE', exp_key, '-inf', '(' .. fmt(now), 'LIMIT', 0, 1) > 0
end

local function load_budget(key)
  local v = redis.call('HMGET', key, 'scope', 'unit', 'allocated', 'spent', 'reserved', 'debt',
    'overdraftLimit', 'status', 'isOverLimit', 'caps', 'isolated')
  if not v[1] then return nil end
  return { key = key, scope = v[1], unit = v[2], allocated = tonumber(v[3]), spent = tonumber(v[4]),
    reserved = tonumber(v[5]), debt = tonumber(v[6]), od = tonumber(v[7]), status = v[8],
    over = v[9] == '1', caps = v[10] or '', isolated = v[11] == '1' }
end

local function new_budget(key, scope, unit, allocated, od, caps, isolated)
  return { key = key, scope = scope, unit = unit, allocated = tonumber(allocated), spent = 0, reserved = 0,
    debt = 0, od = tonumber(od), status = 'ACTIVE', over = false, caps = caps or '', isolated = isolated }
end

local function save_budget(b)
  redis.call('HSET', b.key, 'scope', b.scope, 'unit', b.unit, 'allocated', fmt(b.allocated),
    'spent', fmt(b.spent), 'reserved', fmt(b.reserved), 'debt', fmt(b.debt), 'overdraftLimit', fmt(b.od),
    'status', b.status, 'isOverLimit', b.over and '1' or '0', 'isolated', b.isolated and '1' or '0')
  if b.caps ~= '' then redis.call('HSET', b.key, 'caps', b.caps) else redis.call('HDEL', b.key, 'caps') end
end

-- The figures a reservation, settlement or expiry changes: one HSET.
local function save_amounts(b)
  redis.call('HSET', b.key, 'allocated', fmt(b.allocated), 'spent', fmt(b.spent), 'reserved', fmt(b.reserved),
    'debt', fmt(b.debt), 'isOverLimit', b.over and '1' or '0')
end

local function remaining(b) return b.allocated - b.spent - b.reserved - b.debt end

local function snapshot(b)
  return { b.scope, b.unit, b.status, fmt(b.allocated), fmt(b.spent), fmt(b.reserved), fmt(b.debt), fmt(b.od),
    b.over and '1' or '0', b.caps, b.isolated and '1' or '0' }
end

local function has_caps(list)
  for _, b in ipairs(list) do if b.caps ~= '' then return true end end
  return false
end

-- The budgets of KEYS[first..], shallowest first: a missing one is built from
-- its template argument ("allocated\noverdraft\ncaps", '' = none) found at
-- ARGV[arg0 + 2*(i-first)] (scope) and the next ARGV (template); stored and
-- indexed when `persist`.
local function resolve_budgets(first, arg0, unit, persist, index_key)
  local all = {}
  for i = first, #KEYS do
    local scope = ARGV[arg0 + (i - first) * 2]
    local template = ARGV[arg0 + 1 + (i - first) * 2]
    local b = load_budget(KEYS[i])
    if not b and template ~= '' then
      local nl1 = string.find(template, '\n', 1, true)
      local nl2 = string.find(template, '\n', nl1 + 1, true)
      b = new_budget(KEYS[i], scope, unit, string.sub(template, 1, nl1 - 1),
        string.sub(template, nl1 + 1, nl2 - 1), string.sub(template, nl2 + 1), false)
      if persist then
        save_budget(b)
        redis.call('SADD', index_key, scope .. '\n' .. unit)
      end
    end
    if b then all[#all + 1] = b end
  end
  return all
end

local function snapshots(list)
  local out = {}
  for i, b in ipairs(list) do out[i] = snapshot(b) end
  return out
end

-- The budgets a call charges: from the deepest isolated budget down, or all of them.
local function charged_budgets(list)
  for i = #list, 2, -1 do
    if list[i].isolated then
      local out = {}
      for j = i, #list do out[#out + 1] = list[j] end
      return out
    end
  end
  return list
end

-- Denial checks in precedence order; each runs over every budget before the next.
local function denial_of(list, estimate)
  for _, b in ipairs(list) do
    if b.status == 'CLOSED' then return 'BUDGET_CLOSED', b.scope end
    if b.status == 'FROZEN' then return 'BUDGET_FROZEN', b.scope end
  end
  for _, b in ipairs(list) do
    if b.over or (b.od > 0 and b.debt > b.od) then return 'OVERDRAFT_LIMIT_EXCEEDED', b.scope end
  end
  for _, b in ipairs(list) do
    if b.debt > 0 and b.od == 0 then return 'DEBT_OUTSTANDING', b.scope end
  end
  for _, b in ipairs(list) do
    if remaining(b) < estimate then return 'BUDGET_EXCEEDED', b.scope end
  end
  return nil
end

-- How a commit of `actual` against `reserved` (0 for an event) is charged; see ledger/rules.ts.
-- Returns charged, debts, overs — or nil, error table.
local function plan_settlement(list, reserved, actual, policy)
  local overage = actual - reserved
  local shortfalls, any = {}, false
  for i, b in ipairs(list) do
    local s = overage - math.max(0, remaining(b))
    if s < 0 then s = 0 end
    shortfalls[i] = s
    if s > 0 then any = true end
  end
  local debts, overs = {}, {}
  for i = 1, #list do debts[i] = 0; overs[i] = false end
  if overage <= 0 or not any then return actual, debts, overs end
  if policy == 'REJECT' then
    for i, b in ipairs(list) do
      if shortfalls[i] > 0 then
        return nil, { 'BUDGET_EXCEEDED', 'Insufficient remaining budget for scope ' .. b.scope ..
          ': overage ' .. fmt(overage) .. ' exceeds remaining', b.scope }
      end
    end
  end
  if policy == 'ALLOW_IF_AVAILABLE' then
    local available = nil
    for _, b in ipairs(list) do
      local r = math.max(0, remaining(b))
      if available == nil or r < available then available = r end
    end
    for i = 1, #list do overs[i] = shortfalls[i] > 0 end
    return reserved + available, debts, overs
  end
  for i, b in ipairs(list) do
    local s = shortfalls[i]
    if s > 0 and b.debt + s > b.od then
      return nil, { 'OVERDRAFT_LIMIT_EXCEEDED', 'Overdraft limit exceeded for scope ' .. b.scope .. ': debt ' ..
        fmt(b.debt) .. ' + ' .. fmt(s) .. ' > limit ' .. fmt(b.od), b.scope }
    end
  end
  return actual, shortfalls, overs
end

local function apply_settlement(list, reserved, charged, debts, overs)
  for i, b in ipairs(list) do
    b.reserved = b.reserved - reserved
    b.spent = b.spent + charged - debts[i]
    b.debt = b.debt + debts[i]
    if overs[i] or b.debt > b.od then b.over = true end
    save_amounts(b)
  end
end

-- Idempotency record: "<fingerprint>\n<outcome json>". Returns the stored outcome, 'MISMATCH' or nil.
local function idem_lookup(key, fingerprint)
  local rec = redis.call('GET', key)
  if not rec then return nil end
  local nl = string.find(rec, '\n', 1, true)
  if string.sub(rec, 1, nl - 1) ~= fingerprint then return 'MISMATCH' end
  return string.sub(rec, nl + 1)
end

local function idem_store(key, fingerprint, outcome, retention)
  redis.call('SET', key, fingerprint .. '\n' .. outcome, 'PX', retention)
end

-- Finalized reservations stay listable for `retention` ms, then leave the index.
-- `extra` are more fields to set on the reservation hash in the same HSET.
local function finalize(rkey, rid, status, now, exp_key, fin_key, index_key, retention, extra)
  local fields = { 'HSET', rkey, 'status', status }
  if status ~= 'EXPIRED' then fields[#fields + 1] = 'finalizedAt'; fields[#fields + 1] = fmt(now) end
  for _, v in ipairs(extra or {}) do fields[#fields + 1] = v end
  redis.call(unpack(fields))
  redis.call('ZREM', exp_key, rid)
  redis.call('ZADD', fin_key, fmt(now), rid)
  redis.call('PEXPIRE', rkey, retention)
  -- Pruning the index is amortised: about one finalization in sixteen does it.
  if string.sub(rid, -1) ~= '0' then return end
  local old = redis.call('ZRANGEBYSCORE', fin_key, '-inf', '(' .. fmt(now - tonumber(retention)), 'LIMIT', 0, 100)
  for _, id in ipairs(old) do
    redis.call('ZREM', fin_key, id)
    redis.call('ZREM', index_key, id)
  end
end

local function load_list(keys, from)
  local list = {}
  for i = from, #keys do
    local b = load_budget(keys[i])
    if b then list[#list + 1] = b end
  end
  return list
end

local function keys_match(stored, keys, from)
  local given = {}
  for i = from, #keys do given[#given + 1] = keys[i] end
  return stored == cjson.encode(given)
end
