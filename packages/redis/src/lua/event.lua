-- event: charge an amount directly (no reservation) to every derived scope's budget.
-- KEYS: 1 idempotency record, 2 expiry zset, 3 budget index set, 4.. one budget key per derived scope
-- ARGV: 1 test clock ('' = Redis TIME), 2 fingerprint, 3 idempotency retention ms, 4 event id, 5 unit, 6 amount,
--       7 overage policy, then per scope: 8+2i scope id, 9+2i template or ''
local now = now_ms(ARGV[1])
if sweep_due(KEYS[2], now) then return cjson.encode({ k = 'sweep' }) end
local stored = idem_lookup(KEYS[1], ARGV[2])
if stored == 'MISMATCH' then return cjson.encode({ k = 'mismatch' }) end
if stored then return cjson.encode({ k = 'replay', o = stored }) end
local unit = ARGV[5]
local all = {}
for i = 4, #KEYS do
  local scope = ARGV[8 + (i - 4) * 2]
  local template = ARGV[9 + (i - 4) * 2]
  local b = load_budget(KEYS[i])
  if not b and template ~= '' then
    local nl1 = string.find(template, '\n', 1, true)
    local nl2 = string.find(template, '\n', nl1 + 1, true)
    b = new_budget(KEYS[i], scope, unit, string.sub(template, 1, nl1 - 1),
      string.sub(template, nl1 + 1, nl2 - 1), string.sub(template, nl2 + 1), false)
    save_budget(b)
    redis.call('SADD', KEYS[3], scope .. '\n' .. unit)
  end
  if b then all[#all + 1] = b end
end
if #all == 0 then return cjson.encode({ k = 'nobudget' }) end
local list = charged_budgets(all)
for _, b in ipairs(list) do
  if b.status == 'FROZEN' then return cjson.encode({ k = 'error', e = { 'BUDGET_FROZEN', 'Budget ' .. b.scope .. ' (' .. unit .. ') is frozen', b.scope } }) end
  if b.status == 'CLOSED' then return cjson.encode({ k = 'error', e = { 'BUDGET_CLOSED', 'Budget ' .. b.scope .. ' (' .. unit .. ') is closed', b.scope } }) end
end
local charged, debts, overs = plan_settlement(list, 0, tonumber(ARGV[6]), ARGV[7])
if not charged then return cjson.encode({ k = 'error', e = debts }) end
apply_settlement(list, 0, charged, debts, overs)
local encoded = cjson.encode({ k = 'ok', id = ARGV[4], unit = unit, amount = ARGV[6], charged = fmt(charged), b = snapshots(list) })
idem_store(KEYS[1], ARGV[2], encoded, ARGV[3])
return encoded
