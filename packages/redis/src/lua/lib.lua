-- Shared helpers, prepended to every script. Amounts are integers below 2^53:
-- Lua doubles hold them exactly, and they are always written back with fmt
-- (tostring would round to 14 significant digits). An integral number goes through '%d' (a
-- 64-bit integer in Redis' Lua, exact for every integer below 2^53 and many times cheaper
-- than '%.0f', which takes glibc's multi-precision path); anything else through '%.0f'.
-- Making a string costs far more in Lua than looking one up, and a script writes the same
-- figures several times (hash, answer, audit record), so each text is made once per script:
-- FORMATTED keeps them, also the ones read from our own hashes (figure), which fmt wrote.
local FORMATTED = {}
local function fmt(n)
  local s = FORMATTED[n]
  if s then return s end
  if n % 1 == 0 and n > -9007199254740992 and n < 9007199254740992 then
    s = string.format('%d', n)
  else
    s = string.format('%.0f', n)
  end
  if n == n then FORMATTED[n] = s end
  return s
end

-- A figure read from one of our hashes (written by fmt): its number, its text remembered for fmt.
local function figure(s)
  local n = tonumber(s)
  if n then FORMATTED[n] = s end
  return n
end

-- The script's time, once now_ms has read it: budgets roll over their period by it (period.lua).
local LEDGER_NOW
-- Redis TIME in ms; a test clock (RedisAuthority's testClock option) passes a fixed time instead.
local function now_ms(test_now)
  if test_now ~= '' then
    LEDGER_NOW = tonumber(test_now)
    return LEDGER_NOW
  end
  local t = redis.call('TIME')
  LEDGER_NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  return LEDGER_NOW
end

-- Is any reservation of this tenant past expiry + grace? Then the caller sweeps first.
local function sweep_due(exp_key, now)
  return #redis.call('ZRANGEBYSCORE', exp_key, '-inf', '(' .. fmt(now), 'LIMIT', 0, 1) > 0
end

-- The audit trail (see audit.lua's notes in README): every script gets four trailing ARGV — the
-- clock, the most records kept, their longest age in ms (0 = any), and the record's fixed part as
-- JSON members ('' = no trail) — and, with a trail, two trailing KEYS: the tenant's stream and head.
local AUDIT_FIXED = ARGV[#ARGV]
local AUDIT_MAX_AGE = tonumber(ARGV[#ARGV - 1])
local AUDIT_MAX = ARGV[#ARGV - 2]
local AUDIT_CLOCK = ARGV[#ARGV - 3]
local NKEYS = AUDIT_FIXED ~= '' and #KEYS - 2 or #KEYS
local AUDIT_STREAM, AUDIT_HEAD = KEYS[#KEYS - 1], KEYS[#KEYS]
local FIGURES = { 'allocated', 'spent', 'reserved', 'debt' }

-- Each budget keeps its figures as loaded (`o`), so a record can say what the script changed.
local function originals(b, zero)
  b.o = {}
  for _, f in ipairs(FIGURES) do b.o[f] = zero and 0 or b[f] end
  return b
end

-- Budget periods (period.lua): read a budget's period fields, start one, roll one over when due.
local period_load, period_init, period_roll, period_save

local function load_budget(key)
  local v = redis.call('HMGET', key, 'scope', 'unit', 'allocated', 'spent', 'reserved', 'debt',
    'overdraftLimit', 'status', 'isOverLimit', 'caps', 'isolated', 'rateLimits', 'period')
  if not v[1] then return nil end
  local b = originals({ key = key, scope = v[1], unit = v[2], allocated = figure(v[3]), spent = figure(v[4]),
    reserved = figure(v[5]), debt = figure(v[6]), od = figure(v[7]), status = v[8],
    over = v[9] == '1', caps = v[10] or '', isolated = v[11] == '1', rl = v[12] or '' }, false)
  if v[13] then period_load(b, v[13]) end
  return b
end

-- A budget that did not exist: its figures start at 0 for the trail (`stored` false: never saved, no change).
local function new_budget(key, scope, unit, allocated, od, caps, isolated, stored)
  return originals({ key = key, scope = scope, unit = unit, allocated = tonumber(allocated), spent = 0, reserved = 0,
    debt = 0, od = tonumber(od), status = 'ACTIVE', over = false, caps = caps or '', isolated = isolated },
    stored ~= false)
end

local function save_budget(b)
  redis.call('HSET', b.key, 'scope', b.scope, 'unit', b.unit, 'allocated', fmt(b.allocated),
    'spent', fmt(b.spent), 'reserved', fmt(b.reserved), 'debt', fmt(b.debt), 'overdraftLimit', fmt(b.od),
    'status', b.status, 'isOverLimit', b.over and '1' or '0', 'isolated', b.isolated and '1' or '0')
  if b.caps ~= '' then redis.call('HSET', b.key, 'caps', b.caps) else redis.call('HDEL', b.key, 'caps') end
  if b.period then period_save(b) end
end

-- The figures a reservation, settlement or expiry changes: one HSET.
local function save_amounts(b)
  redis.call('HSET', b.key, 'allocated', fmt(b.allocated), 'spent', fmt(b.spent), 'reserved', fmt(b.reserved),
    'debt', fmt(b.debt), 'isOverLimit', b.over and '1' or '0')
end

local function remaining(b) return b.allocated - b.spent - b.reserved - b.debt end

local function snapshot(b)
  local s = { b.scope, b.unit, b.status, fmt(b.allocated), fmt(b.spent), fmt(b.reserved), fmt(b.debt), fmt(b.od),
    b.over and '1' or '0', b.caps, b.isolated and '1' or '0', b.rl or '' }
  if b.period then
    s[13] = b.period; s[14] = b.rollover; s[15] = fmt(b.base); s[16] = fmt(b.pstart); s[17] = fmt(b.pend)
  end
  return s
end


-- The budgets of KEYS[first..last] (default NKEYS), shallowest first: a missing one is built from
-- its template argument ("allocated\noverdraft\ncaps[\nrate limits[\nperiod]]", '' = none) found at
-- ARGV[arg0 + 2*(i-first)] (scope) and the next ARGV (template); stored and
-- indexed when `persist`.
local function resolve_budgets(first, arg0, unit, persist, index_key, last)
  local all = {}
  for i = first, last or NKEYS do
    local scope = ARGV[arg0 + (i - first) * 2]
    local template = ARGV[arg0 + 1 + (i - first) * 2]
    local b = load_budget(KEYS[i])
    if b then period_roll(b) end
    if not b and template ~= '' then
      local nl1 = string.find(template, '\n', 1, true)
      local nl2 = string.find(template, '\n', nl1 + 1, true)
      local nl3 = string.find(template, '\n', nl2 + 1, true)
      b = new_budget(KEYS[i], scope, unit, string.sub(template, 1, nl1 - 1),
        string.sub(template, nl1 + 1, nl2 - 1), string.sub(template, nl2 + 1, (nl3 or 0) - 1), false, persist)
      local nl4 = nl3 and string.find(template, '\n', nl3 + 1, true)
      b.rl = nl3 and string.sub(template, nl3 + 1, (nl4 or 0) - 1) or ''
      if nl4 then period_init(b, string.sub(template, nl4 + 1)) end
      if persist then
        save_budget(b)
        if b.rl ~= '' then redis.call('HSET', b.key, 'rateLimits', b.rl) end
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

-- At the settlement of a call an approval admitted (after its figures are settled), each budget gives back
-- what of its raise the call did not use (core's giveBackRaise): at most `unused`, never below remaining 0.
-- `raised` is the reservation's field (one figure per budget key KEYS[from..], comma-separated) or false.
local function give_back_raise(list, raised, from, unused)
  if not raised or unused <= 0 then return end
  local by_key, i = {}, from
  for n in string.gmatch(raised, '[^,]+') do
    by_key[KEYS[i]] = tonumber(n)
    i = i + 1
  end
  for _, b in ipairs(list) do
    local back = math.min(by_key[b.key] or 0, unused, math.max(0, remaining(b)))
    if back > 0 then
      b.allocated = b.allocated - back
      redis.call('HSET', b.key, 'allocated', fmt(b.allocated))
    end
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
  for i = from, NKEYS do
    local b = load_budget(keys[i])
    if b then list[#list + 1] = period_roll(b) end
  end
  return list
end

local function keys_match(stored, keys, from)
  local given = {}
  for i = from, NKEYS do given[#given + 1] = keys[i] end
  return stored == cjson.encode(given)
end

-- ---- audit records ---------------------------------------------------------------------------
-- Records are built as JSON text here: amounts with fmt (exact), strings with cjson.

local function amount_json(unit, n)
  return '{"unit":' .. cjson.encode(unit) .. ',"amount":' .. fmt(n) .. '}'
end

local function audit_scope(b)
  local parts = { '{"scope":', cjson.encode(b.scope), ',"unit":', cjson.encode(b.unit), ',"status":',
    cjson.encode(b.status), ',"allocated":', fmt(b.allocated), ',"spent":', fmt(b.spent), ',"reserved":',
    fmt(b.reserved), ',"debt":', fmt(b.debt), ',"remaining":', fmt(remaining(b)) }
  local d = {}
  for _, f in ipairs(FIGURES) do
    local x = b[f] - b.o[f]
    if x ~= 0 then d[#d + 1] = '"' .. f .. '":' .. fmt(x) end
  end
  if #d > 0 then parts[#parts + 1] = ',"delta":{' .. table.concat(d, ',') .. '}' end
  if b.caps ~= '' and b.caps ~= '{}' then parts[#parts + 1] = ',"caps":' .. b.caps end
  parts[#parts + 1] = '}'
  return table.concat(parts)
end

-- The part of a settlement's record that comes from the reservation itself (its stored detail).
local function reservation_members(detail_json, unit, amount)
  local d = cjson.decode(detail_json)
  return '"tenant":' .. cjson.encode(d.subject.tenant) .. ',"subject":' .. cjson.encode(d.subject) ..
    ',"scopePath":' .. cjson.encode(d.scopePath) .. ',"action":' .. cjson.encode(d.action) ..
    ',"reservationId":' .. cjson.encode(d.reservationId) .. ',"estimate":' .. amount_json(unit, amount)
end

-- Append one record to the tenant's chain: `members` are JSON members computed here ('' for none),
-- `list` the budgets it looked at, `fixed` the record's fixed part (default the operation's). Nothing without a trail.
local function audit_append(now, members, list, fixed)
  if AUDIT_FIXED == '' then return end
  local scopes = {}
  for i, b in ipairs(list or {}) do scopes[i] = audit_scope(b) end
  local head = redis.call('HMGET', AUDIT_HEAD, 'h', 'n', 'ms')
  local prev = head[1] or ''
  local n = tonumber(head[2] or '0') + 1
  local ms = math.max(now, tonumber(head[3] or '0'))
  local body = '{"atMs":' .. fmt(now) .. ',' .. (fixed or AUDIT_FIXED) .. (members ~= '' and (',' .. members) or '') ..
    ',"scopes":[' .. table.concat(scopes, ',') .. ']}'
  local hash = redis.sha1hex(prev .. '\n' .. body)
  redis.call('XADD', AUDIT_STREAM, 'MAXLEN', '~', AUDIT_MAX, fmt(ms) .. '-' .. fmt(n), 'b', body, 'p', prev, 'h', hash)
  if AUDIT_MAX_AGE > 0 and now > AUDIT_MAX_AGE then
    redis.call('XTRIM', AUDIT_STREAM, 'MINID', '~', fmt(now - AUDIT_MAX_AGE))
  end
  redis.call('HSET', AUDIT_HEAD, 'h', hash, 'n', fmt(n), 'ms', fmt(ms))
end
