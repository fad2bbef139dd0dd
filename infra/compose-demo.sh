#!/usr/bin/env bash
# The compose demo in one command: `bash infra/compose-demo.sh`. Makes .env from .env.example
# when there is none (random passwords, made-up Eximbank and OpenDART keys and an API key, mode 600), builds the images,
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
       -e "s/^KOREAEXIM_AUTHKEY=.*/KOREAEXIM_AUTHKEY=$(secret)/" \
       -e "s/^OPENDART_API_KEY=.*/OPENDART_API_KEY=$(secret)/" \
       -e "s/^API_KEYS=.*/API_KEYS=$(secret)/" .env.example > "$env_file")
fi

dc() { docker compose --env-file "$env_file" --env-file .env.demo --profile demo "$@"; }
since() { echo $(( $(date +%s) - $1 )); }
started=$(date +%s)
# One image at a time: the browser image then reuses the app image's layers from the cache.
dc --parallel 1 build
echo "compose-demo: images built in $(since "$started") s" >&2
up=$(date +%s)
dc up -d
echo "compose-demo: up -d returned in $(since "$up") s (dependencies healthy, every container started)" >&2
status=0
dc wait demo >/dev/null || status=$?
echo "compose-demo: the demo service exited $status, $(since "$up") s after up began" >&2
# What landed: rows in every m_* and if_* table, then the yearly influence scores.
dc exec -T postgres psql -U insertcoin_admin -d insertcoin -q <<'SQL' || true
SELECT string_agg(format('SELECT %L AS table_name, count(*) AS rows FROM %I', tablename, tablename),
                  ' UNION ALL ' ORDER BY tablename)
  FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^(m|if)_' \gexec
SQL
dc exec -T postgres psql -U insertcoin_admin -d insertcoin -q -c "SELECT * FROM v_influence_yearly LIMIT 10" || true
if [ "$status" != 0 ]; then
  echo "compose-demo: failed; the demo service's last lines:" >&2
  dc logs --no-log-prefix --tail 30 demo >&2 || true
  exit 1
fi
