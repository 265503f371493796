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
local all = resolve_budgets(4, 8, unit, true, KEYS[3])
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
audit_append(now, '"charged":' .. amount_json(unit, charged) .. ',"detail":{"eventId":' .. cjson.encode(ARGV[4]) .. '}', list)
return encoded
