-- budget_update: one provisioning change to one budget.
-- KEYS: 1 budget hash, 2 expiry zset
-- ARGV: 1 test clock ('' = Redis TIME), 2 op (fund|debit|allocation|overdraft|caps|status|reset), 3 amount / caps / status,
--       4 largest exact amount
local now = now_ms(ARGV[1])
if sweep_due(KEYS[2], now) then return cjson.encode({ k = 'sweep' }) end
local b = load_budget(KEYS[1])
if not b then return cjson.encode({ k = 'notfound' }) end
period_roll(b)
local op, max = ARGV[2], tonumber(ARGV[4])
local function ceiling(total)
  if total > max then return cjson.encode({ k = 'ceiling' }) end
end
local err
if op == 'fund' then
  local amount = tonumber(ARGV[3])
  err = ceiling(b.allocated + amount + b.od)
  if not err then
    local repaid = math.min(b.debt, amount)
    b.allocated = b.allocated + amount
    b.debt = b.debt - repaid
    b.spent = b.spent + repaid
    if b.debt <= b.od and remaining(b) >= 0 then b.over = false end
  end
elseif op == 'debit' then
  local amount = tonumber(ARGV[3])
  if amount > math.max(0, remaining(b)) then
    err = cjson.encode({ k = 'debit', remaining = fmt(remaining(b)), scope = b.scope })
  else
    b.allocated = b.allocated - amount
  end
elseif op == 'allocation' then
  local amount = tonumber(ARGV[3])
  err = ceiling(amount + b.od)
  if not err then
    b.allocated = amount
    if b.period then b.base = amount end
  end
elseif op == 'overdraft' then
  local amount = tonumber(ARGV[3])
  err = ceiling(b.allocated + amount)
  if not err then
    b.od = amount
    if b.debt <= amount and remaining(b) >= 0 then b.over = false end
  end
elseif op == 'caps' then
  b.caps = ARGV[3]
elseif op == 'status' then
  if b.status == 'CLOSED' and ARGV[3] ~= 'CLOSED' then
    err = cjson.encode({ k = 'closed', scope = b.scope, unit = b.unit })
  else
    b.status = ARGV[3]
  end
elseif op == 'reset' then
  b.spent = 0
end
if err then return err end
save_budget(b)
audit_append(now, '', { b })
return cjson.encode({ k = 'ok', b = snapshot(b) })
