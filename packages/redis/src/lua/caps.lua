-- Caps and the decision members of reserve.lua (prepended to it after lib.lua, like rate.lua):
-- only reserve, dry run and decide decide caps, so only that script defines these functions (Lua
-- makes every function of a script anew on each call).

-- See core's caps.ts (mergeCaps) and rules.ts (capsOf, reachesTier): the same rules.

local function list_empty(l) return l == nil or #l == 0 end

local function caps_empty(c)
  return c == nil or (c.maxTokens == nil and c.maxStepsRemaining == nil and list_empty(c.toolAllowlist) and
    list_empty(c.toolDenylist) and c.cooldownMs == nil)
end

local function copy_caps(c)
  local out = {}
  for k, v in pairs(c) do
    if type(v) == 'table' then
      local l = {}
      for i, x in ipairs(v) do l[i] = x end
      if #l > 0 then out[k] = l end
    else
      out[k] = v
    end
  end
  return out
end

local function contains(l, x)
  for _, y in ipairs(l or {}) do if y == x then return true end end
  return false
end

local function allowlist_of(a, b)
  if list_empty(a) then
    if list_empty(b) then return nil end
    local out = {}
    for i, x in ipairs(b) do out[i] = x end
    return out
  end
  if list_empty(b) then
    local out = {}
    for i, x in ipairs(a) do out[i] = x end
    return out
  end
  local out = {}
  for _, x in ipairs(a) do if contains(b, x) then out[#out + 1] = x end end
  return out
end

local function denylist_of(a, b)
  local out = {}
  for _, l in ipairs({ a or {}, b or {} }) do
    for _, x in ipairs(l) do if not contains(out, x) then out[#out + 1] = x end end
  end
  if #out == 0 then return nil end
  return out
end

local function min_of(a, b)
  if a == nil then return b end
  if b == nil then return a end
  return math.min(a, b)
end

local function max_of(a, b)
  if a == nil then return b end
  if b == nil then return a end
  return math.max(a, b)
end

local function merge_caps(a, b)
  if a == nil then
    if b ~= nil and not caps_empty(b) then return copy_caps(b) end
    return nil
  end
  if b == nil then
    if caps_empty(a) then return nil end
    return copy_caps(a)
  end
  local allow = allowlist_of(a.toolAllowlist, b.toolAllowlist)
  local deny = denylist_of(a.toolDenylist, b.toolDenylist)
  if allow and #allow == 0 then
    local both = {}
    for _, l in ipairs({ a.toolAllowlist or {}, b.toolAllowlist or {} }) do
      for _, x in ipairs(l) do both[#both + 1] = x end
    end
    deny = denylist_of(deny, both)
    allow = nil
  end
  if allow and deny then
    local kept = {}
    for _, x in ipairs(allow) do if not contains(deny, x) then kept[#kept + 1] = x end end
    allow = kept
  end
  local m = { maxTokens = min_of(a.maxTokens, b.maxTokens),
    maxStepsRemaining = min_of(a.maxStepsRemaining, b.maxStepsRemaining),
    cooldownMs = max_of(a.cooldownMs, b.cooldownMs) }
  if allow and #allow > 0 then m.toolAllowlist = allow end
  if deny and #deny > 0 then m.toolDenylist = deny end
  if caps_empty(m) then return nil end
  return m
end

-- x * y as (high, low) base 2^24, exact for 0 <= x < 2^53 and 0 <= y < 2^24.
local function mul24(x, y)
  local xh = math.floor(x / 16777216)
  local xl = x - xh * 16777216
  local lo = xl * y
  local carry = math.floor(lo / 16777216)
  return xh * y + carry, lo - carry * 16777216
end

-- Has budget `b` reached `at_percent` utilisation? (allocated − remaining) · 10000 ≥ round(at% · 100) · allocated.
local function reaches_tier(b, at_percent)
  if b.allocated <= 0 then return true end
  local used = b.allocated - remaining(b)
  if used < 0 then return false end
  local uh, ul = mul24(used, 10000)
  local ah, al = mul24(b.allocated, math.floor(at_percent * 100 + 0.5))
  return uh > ah or (uh == ah and ul >= al)
end

-- The caps of a call over `list` under the degradation policy JSON `policy_json` ('' = none).
local function caps_of(list, policy_json)
  local caps = nil
  for _, b in ipairs(list) do
    if b.caps ~= '' then caps = merge_caps(caps, cjson.decode(b.caps)) end
  end
  if policy_json ~= '' then
    local policy = cjson.decode(policy_json)
    for _, tier in ipairs(policy.tiers or {}) do
      local applies = false
      for _, b in ipairs(list) do
        if (policy.units == nil or contains(policy.units, b.unit)) and reaches_tier(b, tier.atPercent) then
          applies = true
        end
      end
      if applies then caps = merge_caps(caps, tier.caps) end
    end
  end
  return caps
end

-- The decision members of a reserve, dry run or decide record.
local function decision_members(decision, reason, scope, caps, rid)
  local m = '"decision":' .. cjson.encode(decision)
  if reason then m = m .. ',"reasonCode":' .. cjson.encode(reason) .. ',"blockedScope":' .. cjson.encode(scope) end
  if caps then m = m .. ',"caps":' .. cjson.encode(caps) end
  if rid then m = m .. ',"reservationId":' .. cjson.encode(rid) end
  return m
end
