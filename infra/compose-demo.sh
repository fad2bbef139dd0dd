#!/usr/bin/env bash
# The compose demo in one command: `bash infra/compose-demo.sh`. Makes .env from .env.example
# when there is none (random passwords and a made-up Eximbank key, mode 600), builds the images,
# starts the `demo` profile layered over .env (`--env-file .env --env-file .env.demo`), waits for
# the `demo` service to crawl, load and score the simulated market, then prints what landed.
# Exits with the demo service's exit code. Knobs: ENV_FILE (default .env), the DEMO_* variables of
# .env.demo (your environment wins over the files), COMPOSE_PROJECT_NAME, COMPOSE_FILE.
# Stop it with: docker compose --env-file .env --env-file .env.demo --profile demo down
set -euo pipefail
cd "$(dirname "$0")/.."
env_file=${ENV_FILE:-.env}

if [ ! -f "$env_file" ]; then
  echo "compose-demo: writing $env_file (passwords generated here, never printed)" >&2
  secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  (umask 077
   sed -e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$(secret)/" \
       -e "s/^LOADER_DB_PASSWORD=.*/LOADER_DB_PASSWORD=$(secret)/" \
       -e "s/^ANALYST_DB_PASSWORD=.*/ANALYST_DB_PASSWORD=$(secret)/" \
       -e "s/^ML_DB_PASSWORD=.*/ML_DB_PASSWORD=$(secret)/" \
       -e "s/^KOREAEXIM_AUTHKEY=.*/KOREAEXIM_AUTHKEY=$(secret)/" .env.example > "$env_file")
fi

dc() { docker compose --env-file "$env_file" --env-file .env.demo --profile demo "$@"; }
since() { echo $(( $(date +%s) - $1 )); }
started=$(date +%s)
# One image at a time: the browser image then reuses the app image's layers from the cache.
dc --parallel 1 build
echo "compose-demo: images built in $(since "$started") s" >&2
up=$(date +%s)
dc up -d
echo "compose-demo: up (services healthy, one-shots done) in $(since "$up") s" >&2
status=0
dc wait demo >/dev/null || status=$?
echo "compose-demo: the demo service exited $status, $(since "$up") s after up began" >&2
dc exec -T postgres psql -U insertcoin_admin -d insertcoin -q -c "
  SELECT 'm_stock' AS table_name, count(*) FROM m_stock UNION ALL
  SELECT 'if_stock_daily_price', count(*) FROM if_stock_daily_price UNION ALL
  SELECT 'if_board_post', count(*) FROM if_board_post UNION ALL
  SELECT 'if_news_rank', count(*) FROM if_news_rank UNION ALL
  SELECT 'if_financial_statement', count(*) FROM if_financial_statement UNION ALL
  SELECT 'if_fear_greed', count(*) FROM if_fear_greed UNION ALL
  SELECT 'if_fx_rate', count(*) FROM if_fx_rate UNION ALL
  SELECT 'if_top_mover', count(*) FROM if_top_mover UNION ALL
  SELECT 'if_media_influence_daily', count(*) FROM if_media_influence_daily" || true
dc exec -T postgres psql -U insertcoin_admin -d insertcoin -q -c "SELECT * FROM v_influence_yearly LIMIT 10" || true
if [ "$status" != 0 ]; then
  echo "compose-demo: failed; the demo service's last lines:" >&2
  dc logs --no-log-prefix --tail 30 demo >&2 || true
  exit 1
fi
