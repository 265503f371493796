#!/usr/bin/env bash
# Reserve → commit over HTTP, against a running `governor serve` (run from the repository root).
# packages/server/test/quickstart.test.ts runs this very file against a fresh server.
set -euo pipefail
SERVER="${GOVERNOR_SERVER:-http://127.0.0.1:7878}"
export GOVERNOR_ADMIN_KEY="${GOVERNOR_ADMIN_KEY:?set GOVERNOR_ADMIN_KEY to the key governor serve was started with}"
governor() { node --conditions=@governor/source --import tsx packages/cli/src/bin.ts "$@"; }

# A tenant, its API key (printed once), and a $10 budget for it.
governor tenants create acme --server "$SERVER"
KEY=$(governor keys create --tenant acme --server "$SERVER")
governor budgets create --server "$SERVER" --scope tenant:acme --unit USD_MICROCENTS --allocated '$10'

# Reserve 50 cents for a model call…
RESERVATION=$(curl -sS --fail-with-body -X POST "$SERVER/v1/reservations" \
  -H "X-Cycles-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d '{"idempotency_key": "quickstart-rsv-1",
       "subject": {"tenant": "acme", "workflow": "support"},
       "action": {"kind": "llm.completion", "name": "openai:gpt-4o-mini"},
       "estimate": {"unit": "USD_MICROCENTS", "amount": 50000000},
       "ttl_ms": 30000}')
echo "$RESERVATION"
ID=$(echo "$RESERVATION" | jq -r .reservation_id)

# …and commit the 12 cents it really cost (the rest is released).
curl -sS --fail-with-body -X POST "$SERVER/v1/reservations/$ID/commit" \
  -H "X-Cycles-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d '{"idempotency_key": "quickstart-commit-1", "actual": {"unit": "USD_MICROCENTS", "amount": 12000000}}'
echo

# The tenant's balance: $10 allocated, $0.12 spent.
curl -sS --fail-with-body "$SERVER/v1/balances?tenant=acme" -H "X-Cycles-API-Key: $KEY"
echo
