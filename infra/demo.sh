#!/usr/bin/env bash
# The main job end to end, offline: a simulated market served at the sources' real URLs, crawled
# by all seven crawlers -> Kafka -> loader -> PostgreSQL -> ML scores -> an HTML report.
# Run it through `make demo` (which makes the virtualenv first). Re-running it is safe: every
# stage is idempotent. Knobs: DEMO_STOCKS, DEMO_FROM, DEMO_TO, DEMO_SEED, DEMO_PORT, DEMO_EFFECTS.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
IC="$BIN/insertcoin"
OUT=var/demo
STOCKS=${DEMO_STOCKS:-120}
FROM=${DEMO_FROM:-2026-03-02}
TO=${DEMO_TO:-2026-06-30}
SEED=${DEMO_SEED:-7}
PORT=${DEMO_PORT:-8950}
EFFECTS=${DEMO_EFFECTS:-infra/demo-effects.yaml}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "local stack: PostgreSQL + Kafka"
"$IC" stack up
eval "$("$IC" stack env)"

step "simulated market: $STOCKS stocks, $FROM .. $TO, seed $SEED"
rm -rf "$OUT/world"
mkdir -p "$OUT"
effects=()
[ -f "$EFFECTS" ] && effects=(--effects "$EFFECTS")
"$IC" simulate --stocks "$STOCKS" --from "$FROM" --to "$TO" --seed "$SEED" --out "$OUT/world" "${effects[@]}"

step "replay site on 127.0.0.1:$PORT"
# A key for the replay site's Eximbank endpoint, made up for this run only (never stored).
KOREAEXIM_AUTHKEY=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')
export KOREAEXIM_AUTHKEY REPLAY_KOREAEXIM_AUTHKEY="$KOREAEXIM_AUTHKEY"
"$IC" replay serve --world "$OUT/world" --host 127.0.0.1 --port "$PORT" > "$OUT/replay.log" 2>&1 &
REPLAY_PID=$!
trap 'kill $REPLAY_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/__replay/health" >/dev/null 2>&1 && break
  sleep 0.2
done
SITE="http://127.0.0.1:$PORT"
export NAVER_STOCK_API_URL=$SITE NAVER_STOCK_URL=$SITE NAVER_MSTOCK_URL=$SITE NAVER_FINANCE_URL=$SITE \
       NATE_NEWS_URL=$SITE CNN_DATAVIZ_URL=$SITE CNN_WEB_URL=$SITE KOREAEXIM_URL=$SITE KIND_URL=$SITE
export ARCHIVE_DIR="$PWD/$OUT/archive"

export CRAWL_POLITE=0  # our own replay site on loopback: no need to pace requests

step "crawl: seven services -> Kafka"
before() { date -d "$FROM - $1 days" +%F; }
"$IC" crawl stockcode
"$IC" crawl stockreport --from "$FROM" --to "$TO"
"$IC" crawl stockdebate --from "$(before 4)" --to "$TO"  # posts start before the first session
"$IC" crawl financialreport
"$IC" crawl news --from "$(before 1)" --to "$TO"
"$IC" crawl fear-greed --from "$FROM" --to "$TO"
"$IC" crawl fx --from "$FROM" --to "$TO"

step "load: Kafka -> PostgreSQL"
"$IC" load --until-idle

step "score: top movers and media influence"
DATABASE_URL="$ML_DATABASE_URL" "$IC" score --from "$FROM" --to "$TO"
DATABASE_URL="$ML_DATABASE_URL" "$IC" report --from "$FROM" --to "$TO" --out "$OUT/report"

step "what landed"
psql "$ANALYST_DATABASE_URL" -q -c "
  SELECT 'm_stock' AS table_name, count(*) FROM m_stock UNION ALL
  SELECT 'if_stock_daily_price', count(*) FROM if_stock_daily_price UNION ALL
  SELECT 'if_board_post', count(*) FROM if_board_post UNION ALL
  SELECT 'if_news_rank', count(*) FROM if_news_rank UNION ALL
  SELECT 'if_financial_statement', count(*) FROM if_financial_statement UNION ALL
  SELECT 'if_fear_greed', count(*) FROM if_fear_greed UNION ALL
  SELECT 'if_fx_rate', count(*) FROM if_fx_rate UNION ALL
  SELECT 'if_crawl_run', count(*) FROM if_crawl_run UNION ALL
  SELECT 'if_dead_letter', count(*) FROM if_dead_letter UNION ALL
  SELECT 'if_top_mover', count(*) FROM if_top_mover"
psql "$ANALYST_DATABASE_URL" -q -c "SELECT * FROM v_influence_yearly LIMIT 10"
echo
echo "report: $PWD/$OUT/report/index.html"
