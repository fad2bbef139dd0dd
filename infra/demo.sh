#!/usr/bin/env bash
# The main job end to end, offline: a simulated market served at the sources' real URLs, crawled
# by all eight crawlers -> Kafka -> loader -> PostgreSQL -> ML scores -> an HTML report.
# Run it through `make demo` (which makes the virtualenv first).
# Knobs: DEMO_STOCKS, DEMO_FROM, DEMO_TO, DEMO_SEED, DEMO_PORT, DEMO_EFFECTS, DEMO_OUT.
#
# Each world (seed, stock count, dates, effects file) gets a database and a Kafka topic prefix of
# its own (so its bookmarks too): a demo never reuses another world's rows or bookmarks, and the
# report describes exactly the world simulated. Re-running the same world reuses them (every stage
# is idempotent). A line per step; each step's full output goes to <world>/logs/<step>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
IC="$BIN/insertcoin"
STOCKS=${DEMO_STOCKS:-120}
FROM=${DEMO_FROM:-2026-03-02}
TO=${DEMO_TO:-2026-06-30}
SEED=${DEMO_SEED:-7}
PORT=${DEMO_PORT:-8950}
EFFECTS=${DEMO_EFFECTS:-infra/demo-effects.yaml}
OUT=${DEMO_OUT:-var/demo}

fail() { echo "demo: $*" >&2; exit 2; }
[[ $STOCKS =~ ^[0-9]+$ ]] || fail "DEMO_STOCKS=$STOCKS is not a whole number"
[[ $SEED =~ ^[0-9]+$ ]] || fail "DEMO_SEED=$SEED is not a whole number"
[[ $PORT =~ ^[0-9]+$ ]] || fail "DEMO_PORT=$PORT is not a port number"
for day in "$FROM" "$TO"; do
  [[ $day =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -d "$day" +%F >/dev/null 2>&1 \
    || fail "DEMO_FROM/DEMO_TO $day is not a date (YYYY-MM-DD)"
done
effects_id=none
if [ -f "$EFFECTS" ]; then effects_id=$(sha256sum < "$EFFECTS" | cut -c1-8); fi
WORLD="s${SEED}_n${STOCKS}_${FROM//-/}_${TO//-/}_e${effects_id}"
HOME_DIR="$OUT/worlds/$WORLD"
LOGS="$HOME_DIR/logs"
DB="demo_${WORLD}"
mkdir -p "$LOGS"

# run NAME CMD...: one line for the step (ok and its seconds, or its exit code and last lines).
run() {
  local name=$1 t0=$SECONDS code
  shift
  printf '  %-28s' "$name"
  if "$@" > "$LOGS/$name.log" 2>&1; then
    printf 'ok  %4ss\n' $((SECONDS - t0))
  else
    code=$?
    printf 'FAILED (exit %s) after %ss\n' "$code" $((SECONDS - t0))
    tail -n 5 "$LOGS/$name.log" | sed 's/^/      | /'
    echo "      full output: $LOGS/$name.log"
    exit "$code"
  fi
}

echo "insertcoin demo: seed $SEED, $STOCKS stocks, $FROM .. $TO, effects ${EFFECTS} ($effects_id)"
echo "  world $WORLD: database $DB, topics demo.$WORLD.*, files $HOME_DIR"

run "local stack" "$IC" stack up
eval "$("$IC" stack env)"
# This world's database (created once) and topic prefix, for every process below.
for var in DATABASE_URL DATABASE_ADMIN_URL ANALYST_DATABASE_URL ML_DATABASE_URL; do
  export "$var=${!var%/*}/$DB"
done
export KAFKA_TOPIC_PREFIX="demo.$WORLD."
new_database() {
  local server="${DATABASE_ADMIN_URL%/*}/postgres"
  if [ -z "$(psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    psql "$server" -qc "CREATE DATABASE $DB"
  fi
  "$IC" migrate
}
run "world database" new_database
run "world topics" "$IC" topics

effects=()
[ -f "$EFFECTS" ] && effects=(--effects "$EFFECTS")
simulate() {
  rm -rf "$HOME_DIR/world"
  "$IC" simulate --stocks "$STOCKS" --from "$FROM" --to "$TO" --seed "$SEED" --out "$HOME_DIR/world" "${effects[@]}"
}
run "simulated market" simulate

# A key for the replay site's Eximbank endpoint, made up for this run only (never stored).
KOREAEXIM_AUTHKEY=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')
export KOREAEXIM_AUTHKEY REPLAY_KOREAEXIM_AUTHKEY="$KOREAEXIM_AUTHKEY"
OPENDART_API_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(20))')  # likewise, OpenDART's
export OPENDART_API_KEY REPLAY_OPENDART_API_KEY="$OPENDART_API_KEY"
"$IC" replay serve --world "$HOME_DIR/world" --host 127.0.0.1 --port "$PORT" > "$LOGS/replay.log" 2>&1 &
REPLAY_PID=$!
trap 'kill $REPLAY_PID 2>/dev/null || true' EXIT
replay_up() {
  for _ in $(seq 1 150); do
    # the port is bound exclusively: while our server lives, the one answering is ours
    kill -0 "$REPLAY_PID" 2>/dev/null || { cat "$LOGS/replay.log"; return 1; }
    curl -fsS "http://127.0.0.1:$PORT/__replay/health" && return 0
    sleep 0.2
  done
  echo "the replay site did not answer on 127.0.0.1:$PORT in 30 s"
  return 1
}
run "replay site :$PORT" replay_up
SITE="http://127.0.0.1:$PORT"
export NAVER_STOCK_API_URL=$SITE NAVER_STOCK_URL=$SITE NAVER_MSTOCK_URL=$SITE NAVER_FINANCE_URL=$SITE \
       NATE_NEWS_URL=$SITE CNN_DATAVIZ_URL=$SITE CNN_WEB_URL=$SITE KOREAEXIM_URL=$SITE KIND_URL=$SITE \
       DART_URL=$SITE OPENDART_URL=$SITE
export ARCHIVE_DIR="$(realpath -m "$HOME_DIR")/archive"  # absolute (DEMO_OUT may be either)
export CRAWL_POLITE=0  # our own replay site on loopback: no need to pace requests

before() { date -d "$FROM - $1 days" +%F; }
run "crawl stockcode" "$IC" crawl stockcode
run "crawl stockreport" "$IC" crawl stockreport --from "$FROM" --to "$TO"
run "crawl stockdebate" "$IC" crawl stockdebate --from "$(before 4)" --to "$TO"  # posts start before the first session
run "crawl financialreport" "$IC" crawl financialreport
run "crawl news" "$IC" crawl news --from "$(before 1)" --to "$TO"
run "crawl fear-greed" "$IC" crawl fear-greed --from "$FROM" --to "$TO"
run "crawl fx" "$IC" crawl fx --from "$FROM" --to "$TO"
run "crawl disclosure" "$IC" crawl disclosure --from "$(before 1)" --to "$TO"  # filings after the close lead the next open
run "load" "$IC" load --until-idle
run "score" env DATABASE_URL="$ML_DATABASE_URL" "$IC" score --from "$FROM" --to "$TO"
run "report" env DATABASE_URL="$ML_DATABASE_URL" "$IC" report --from "$FROM" --to "$TO" --out "$HOME_DIR/report"
[ -L "$OUT/report" ] || rm -rf "$OUT/report"
ln -sfn "worlds/$WORLD/report" "$OUT/report"

echo
echo "what landed (database $DB):"
psql "$ANALYST_DATABASE_URL" -qAtF ' ' -c "
  SELECT rpad(service, 16), rpad(status, 10), lpad(requests::text, 7) || ' requests', lpad(records::text, 8) || ' records'
  FROM (SELECT DISTINCT ON (service) * FROM if_crawl_run ORDER BY service, finished_at DESC) last_runs
  ORDER BY service" | sed 's/^/  crawl /'
psql "$ANALYST_DATABASE_URL" -qAtF ' ' -c "
  SELECT rpad(t, 24), lpad(n::text, 8) || ' rows' FROM (
    SELECT 1 AS i, 'm_stock' AS t, count(*) AS n FROM m_stock UNION ALL
    SELECT 2, 'if_stock_daily_price', count(*) FROM if_stock_daily_price UNION ALL
    SELECT 3, 'if_board_post', count(*) FROM if_board_post UNION ALL
    SELECT 4, 'if_news_rank', count(*) FROM if_news_rank UNION ALL
    SELECT 5, 'if_financial_statement', count(*) FROM if_financial_statement UNION ALL
    SELECT 6, 'if_fear_greed', count(*) FROM if_fear_greed UNION ALL
    SELECT 7, 'if_fx_rate', count(*) FROM if_fx_rate UNION ALL
    SELECT 8, 'if_disclosure', count(*) FROM if_disclosure UNION ALL
    SELECT 9, 'if_dead_letter', count(*) FROM if_dead_letter UNION ALL
    SELECT 10, 'if_top_mover', count(*) FROM if_top_mover) counts ORDER BY i" | sed 's/^/  table /'
echo
echo "answer: which medium explains (same day) or predicts (before the open) the day's top movers"
echo "  (a medium passes when its Holm-adjusted p over every medium x clock of the year is < 0.05)"
answer=$(psql "$ANALYST_DATABASE_URL" -qAtF ' ' -c "
  SELECT rpad(year::text, 5), rpad(clock, 12), rpad(scope, 6), rpad(medium, 10),
         'influence ' || lpad(round(influence::numeric, 3)::text, 6),
         'p ' || CASE WHEN p_value < 0.001 THEN '<0.001' ELSE round(p_value::numeric, 3)::text END,
         'Holm p ' || CASE WHEN p_adjusted < 0.001 THEN '<0.001' ELSE round(p_adjusted::numeric, 3)::text END,
         CASE WHEN significant THEN 'PASSED, rank ' || rank ELSE 'not passed' END
  FROM v_influence_yearly ORDER BY year, clock, scope, significant DESC, rank, p_adjusted")
if [ -n "$answer" ]; then
  sed 's/^/  /' <<< "$answer"
else
  echo "  no yearly score: $FROM .. $TO is shorter than the model's training window (score --min-train, 60 sessions)"
fi
echo
echo "report: $(realpath -s "$OUT/report")/index.html"
