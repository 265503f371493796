-- Budget periods (see core's ledger/periods.ts for the rules, which these mirror): a budget with a
-- period keeps on its hash `period` (JSON), `rollover`, `baseAllocated` (the defined allocation),
-- `periodStart`, `periodEnd`, `periodEvery` (ms; 0 for a calendar period) and, for a calendar
-- period, `periodBounds`: the boundaries after periodEnd, computed in TypeScript (Lua has no time
-- zones), comma-separated. A rollover happens here, in the script of the first operation that
-- loads the budget after its periodEnd, with its audit record before the operation's own.
local MAX_EXACT = 9007199254740991

local function split_commas(s)
  local out = {}
  for x in string.gmatch(s or '', '[^,]+') do out[#out + 1] = x end
  return out
end

period_load = function(b, period)
  local v = redis.call('HMGET', b.key, 'rollover', 'baseAllocated', 'periodStart', 'periodEnd', 'periodEvery',
    'periodBounds')
  b.period = period; b.rollover = v[1]; b.base = tonumber(v[2]); b.pstart = tonumber(v[3]); b.pend = tonumber(v[4])
  b.pevery = tonumber(v[5]); b.pbounds = v[6] or ''
end

period_save = function(b)
  redis.call('HSET', b.key, 'period', b.period, 'rollover', b.rollover, 'baseAllocated', fmt(b.base),
    'periodStart', fmt(b.pstart), 'periodEnd', fmt(b.pend), 'periodEvery', fmt(b.pevery), 'periodBounds', b.pbounds)
end

-- Start the period of a new budget from its period argument
-- "rollover\teveryMs\tperiodJson\tbounds" (bounds: a calendar period's boundaries, the first at or before now).
period_init = function(b, arg)
  local f = {}
  for x in string.gmatch(arg .. '\t', '([^\t]*)\t') do f[#f + 1] = x end
  b.rollover = f[1]; b.pevery = tonumber(f[2]); b.period = f[3]; b.base = b.allocated
  if b.pevery > 0 then
    b.pstart = LEDGER_NOW; b.pend = LEDGER_NOW + b.pevery; b.pbounds = ''
    return
  end
  local list = split_commas(f[4])
  local i = 1
  while list[i + 2] and tonumber(list[i + 1]) <= LEDGER_NOW do i = i + 1 end
  b.pstart = tonumber(list[i]); b.pend = tonumber(list[i + 1] or '0')
  b.pbounds = table.concat(list, ',', i + 2)
end

-- Roll `b` over if its period has ended by the script's time: saved and recorded at once. Returns b.
period_roll = function(b)
  if not b.period or b.pend <= 0 or LEDGER_NOW < b.pend then return b end
  local now = LEDGER_NOW
  local unspent = math.max(0, remaining(b))
  local carry = 0
  if b.rollover == 'carry_forward' then carry = unspent
  elseif b.rollover == 'cap_at_allocated' then carry = math.min(unspent, b.base) end
  b.allocated = math.min(b.base + carry + b.reserved, MAX_EXACT - b.od)
  b.spent = 0
  if b.debt <= b.od and remaining(b) >= 0 then b.over = false end
  if b.pevery > 0 then
    b.pstart = b.pstart + math.floor((now - b.pstart) / b.pevery) * b.pevery
    b.pend = b.pstart + b.pevery
  else
    -- Past the last known boundary (pend 0), the period does not end.
    local list = split_commas(b.pbounds)
    local start, i = b.pend, 1
    while list[i] and tonumber(list[i]) <= now do start = tonumber(list[i]); i = i + 1 end
    b.pstart = start; b.pend = tonumber(list[i] or '0')
    b.pbounds = table.concat(list, ',', i + 1)
  end
  save_amounts(b)
  redis.call('HSET', b.key, 'periodStart', fmt(b.pstart), 'periodEnd', fmt(b.pend), 'periodBounds', b.pbounds)
  local fixed = '"operation":"budget.rollover","tenant":' .. cjson.encode(string.match(b.scope, '^tenant:([^/]+)')) ..
    ',"scopePath":' .. cjson.encode(b.scope)
  audit_append(now, '"detail":{"rollover":' .. cjson.encode(b.rollover) .. ',"periodStartMs":' .. fmt(b.pstart) ..
    ',"periodEndMs":' .. fmt(b.pend) .. '}', { b }, fixed)
  return originals(b, false)
end
