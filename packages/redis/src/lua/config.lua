-- config: templates and the degradation policy (one hash tag, so Cluster-legal).
-- KEYS: 1 templates list, 2 degradation policy
-- ARGV: 1 op (template|degradation), 2 json or '' (clears the policy)
if ARGV[1] == 'template' then
  redis.call('RPUSH', KEYS[1], ARGV[2])
elseif ARGV[2] == '' then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], ARGV[2])
end
audit_append(now_ms(AUDIT_CLOCK), '')
return cjson.encode({ k = 'ok' })
