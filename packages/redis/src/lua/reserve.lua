-- reserve / dry run / decide: atomic over every derived scope's budget, with its audit record.
-- KEYS: 1 idempotency record, 2 expiry zset, 3 reservation index, 4 reservation hash,
--       5 budget index set, 6.. one budget key per derived scope (shallowest first)
-- ARGV: 1 test clock ('' = Redis TIME), 2 mode (reserve|dry|decide), 3 fingerprint, 4 idempotency retention ms,
--       5 reservation id, 6 amount, 7 ttl ms, 8 grace ms, 9 overage policy, 10 detail json,
--       11 degradation policy json, 12 unit, 13 balances wanted (1|0), 14 most live reservations per tenant,
--       then per scope: 15+2i scope id, 16+2i template ("allocated\noverdraft\ncaps[\nrate limits]") or ''
-- Rate limits and loop breaker (rate.lua), after the n budget keys: n window keys (one per scope), the loop
-- key; after the scope ARGV: action kind, action name, loop threshold ('' = none), loop window ms, loop scope.
-- Approvals (approval.lua): after the loop key, the approval's hash; after the loop scope, its id ('' = none).
-- An approval that admits this reserve raises the budgets that would deny it and lifts its rate limits.
local now = now_ms(ARGV[1])
if sweep_due(KEYS[2], now) then return cjson.encode({ k = 'sweep' }) end
local mode = ARGV[2]
local stored = idem_lookup(KEYS[1], ARGV[3])
if stored == 'MISMATCH' then return cjson.encode({ k = 'mismatch' }) end
if stored then return cjson.encode({ k = 'replay', o = stored, now = fmt(now) }) end

local persist = mode == 'reserve'
local unit = ARGV[12]
local nscopes = (NKEYS - 7) / 2
local all = resolve_budgets(6, 15, unit, persist, KEYS[5], 5 + nscopes)
if #all == 0 then return cjson.encode({ k = 'nobudget' }) end
local list = charged_budgets(all)
local affected = {}
for i, b in ipairs(list) do affected[i] = b.scope end
local amount = tonumber(ARGV[6])
local out = { k = 'ok', a = affected, now = fmt(now) }
local ra = 14 + 2 * nscopes
local kind, name = ARGV[ra + 1], ARGV[ra + 2]
local akey, aid = KEYS[7 + 2 * nscopes], ARGV[ra + 6]
local approved = persist and aid ~= '' and redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[14]) and
  approval_admits(akey, aid, now, ARGV[ra - 1], kind, name, unit, amount)
if approved then raise_for_approval(list, amount) end
local reason, scope = denial_of(list, amount)
if reason then
  out.d = 'DENY'; out.r = reason; out.s = scope; out.b = snapshots(list)
  local encoded = cjson.encode(out)
  if not persist then idem_store(KEYS[1], ARGV[3], encoded, ARGV[4]) end
  audit_append(now, decision_members('DENY', reason, scope), list)
  return encoded
end
local wkeys = {}
for i = 1, nscopes do wkeys[KEYS[5 + i]] = KEYS[5 + nscopes + i] end
local loop = nil
if ARGV[ra + 3] ~= '' then
  loop = { key = KEYS[6 + 2 * nscopes], threshold = tonumber(ARGV[ra + 3]), windowMs = tonumber(ARGV[ra + 4]),
    scope = ARGV[ra + 5] }
end
local rreason, rscope, retry
if not approved then rreason, rscope, retry = rate_denial(list, wkeys, kind, name, amount, loop, now) end
if rreason then
  out.d = 'DENY'; out.r = rreason; out.s = rscope; out.b = snapshots(list)
  if retry then out.ra = fmt(retry) end
  local encoded = cjson.encode(out)
  if not persist then idem_store(KEYS[1], ARGV[3], encoded, ARGV[4]) end
  audit_append(now, decision_members('DENY', rreason, rscope), list)
  return encoded
end
-- Live reservations are the tenant's expiry set (swept above): past the cap, a DENY that is not remembered.
if persist and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[14]) then
  out.d = 'DENY'; out.r = 'LIVE_RESERVATION_LIMIT'; out.s = ARGV[15]; out.b = snapshots(list)
  audit_append(now, decision_members('DENY', 'LIVE_RESERVATION_LIMIT', ARGV[15]), list)
  return cjson.encode(out)
end
local caps = caps_of(list, ARGV[11])
out.d = caps and 'ALLOW_WITH_CAPS' or 'ALLOW'
if caps then out.c = caps end
if persist then
  local rid = ARGV[5]
  local expires = now + tonumber(ARGV[7])
  local bkeys, raised = {}, nil
  for i, b in ipairs(list) do
    b.reserved = b.reserved + amount
    redis.call('HSET', b.key, 'reserved', fmt(b.reserved))
    if b.raised then
      redis.call('HSET', b.key, 'allocated', fmt(b.allocated))
      raised = raised or {}
      raised[i] = fmt(b.raised)
    end
    bkeys[i] = b.key
  end
  if approved then
    redis.call('HSET', akey, 'status', 'USED', 'usedAt', fmt(now), 'rid', rid)
    redis.call('PEXPIRE', akey, fmt(APPROVAL_RETENTION_MS))
  end
  redis.call('HSET', KEYS[4], 'id', rid, 'detail', ARGV[10], 'status', 'ACTIVE', 'unit', unit,
    'amount', fmt(amount), 'createdAt', fmt(now), 'expiresAt', fmt(expires), 'grace', ARGV[8],
    'policy', ARGV[9], 'extensions', '0', 'affected', cjson.encode(affected), 'budgetKeys', cjson.encode(bkeys))
  -- An approval's raise, one figure per budget key: what its settlement gives back (give_back_raise).
  if raised then
    for i = 1, #list do raised[i] = raised[i] or '0' end
    redis.call('HSET', KEYS[4], 'raised', table.concat(raised, ','))
  end
  redis.call('ZADD', KEYS[2], fmt(expires + tonumber(ARGV[8])), rid)
  redis.call('ZADD', KEYS[3], fmt(now), rid)
  rate_record(list, wkeys, rid, kind, name, amount, loop, now)
  -- Only the balances after the reservation: the caller derives the ones before (reserved − amount).
  out.rid = rid; out.exp = fmt(expires)
  if ARGV[13] == '1' then out.post = snapshots(list) end
else
  out.b = snapshots(list)
end
local encoded = cjson.encode(out)
idem_store(KEYS[1], ARGV[3], encoded, ARGV[4])
local members = decision_members(out.d, nil, nil, caps, out.rid)
if approved and persist then members = members .. ',"detail":{"approvalId":' .. cjson.encode(aid) .. '}' end
audit_append(now, members, list)
return encoded
