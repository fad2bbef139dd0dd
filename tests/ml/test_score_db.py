"""insertcoin score on a small simulated world in a real PostgreSQL: the planted medium wins on
its clock, re-scoring replaces rows, and the roles see what they should."""
from __future__ import annotations

import datetime as dt

import psycopg2
import pytest

from ml import dataset
from ml.cli import score_range
from ml.scoring import ScoringConfig
from tests.truth import load_truth

pytestmark = pytest.mark.integration
START, END = dt.date(2025, 1, 1), dt.date(2025, 4, 30)
CONFIG = ScoringConfig(window=250, min_train=30, step=21, n_perm=99, n_boot=200, seed=0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """40 securities over four months, board activity leading the movers by a day."""
    from services.replay.effects import EffectsConfig, Effect
    from services.replay.simulate import build_world

    out = tmp_path_factory.mktemp("world")
    build_world(out, stocks=40, start=START, end=END, seed=3,
                effects=EffectsConfig(movers_per_day=6, effects=[Effect(medium="board", lag=1)]))
    return out


def _fetch(url, sql, params=()):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def test_given_a_board_led_world_when_scoring_then_board_ranks_first_on_the_predictive_clock_only(
        world, database):
    load_truth(world / "truth", database["admin"])
    score_range(database["ml"], START, END, CONFIG)
    yearly = {(clock, medium): (rank, p, significant) for clock, medium, rank, p, significant in _fetch(
        database["analyst"], "SELECT clock, medium, rank, p_adjusted, significant FROM v_influence_yearly "
                             "WHERE scope = 'stock' AND year = '2025'")}
    rank, p_adjusted, significant = yearly[("predictive", "board")]
    assert rank == 1 and significant and p_adjusted < 0.001
    assert yearly[("explanatory", "board")][2] is False
    assert all(r is None for (clock, m), (r, _p, sig) in yearly.items() if not sig)   # ranks: passed media only
    days = _fetch(database["analyst"], "SELECT trade_date, count(*) FROM if_top_mover "
                                      "WHERE list = 'abs' GROUP BY 1")
    assert len(days) > 70 and all(n == 10 for _d, n in days)
    daily = _fetch(database["analyst"], "SELECT count(*), avg(lift) FROM v_influence_daily "
                                       "WHERE medium = 'board' AND clock = 'predictive' AND n_active > 0")
    assert daily[0][1] > 3                                          # bursty stocks move far more often


def test_given_scores_when_rescoring_the_same_range_then_rows_are_replaced_not_added(world, database):
    load_truth(world / "truth", database["admin"])
    tables = ("if_top_mover", "if_media_influence_daily", "m_media_influence", "m_media_pca")
    count = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    score_range(database["ml"], START, END, CONFIG)
    first = _fetch(database["admin"], count)
    every = "SELECT to_jsonb(i) - 'scored_at' FROM m_media_influence i ORDER BY 1"
    influence = _fetch(database["admin"], every)
    score_range(database["ml"], START, END, CONFIG)
    assert _fetch(database["admin"], count) == first
    assert _fetch(database["admin"], every) == influence                   # all but scored_at


def test_given_the_roles_when_touching_ml_tables_then_analyst_reads_and_only_ml_writes(database):
    assert _fetch(database["analyst"], "SELECT count(*) FROM v_top_movers_media") == [(0,)]
    assert _fetch(database["analyst"], "SELECT count(*) FROM v_influence_yearly") == [(0,)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _fetch(database["analyst"], "DELETE FROM m_media_influence")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _fetch(database["ml"], "DELETE FROM if_stock_daily_price")
    _fetch(database["ml"], "DELETE FROM if_top_mover")              # the ML role owns its rows


def test_given_scores_when_writing_the_report_then_the_page_shows_influence_and_movers(
        world, database, tmp_path):
    from ml.report import load_report, write_report

    load_truth(world / "truth", database["admin"])
    score_range(database["ml"], START, END, CONFIG)
    conn = dataset.connect(database["analyst"])
    try:
        frames = load_report(conn, START, END)
    finally:
        conn.close()
    page = write_report(frames, START, END, tmp_path).read_text(encoding="utf-8")
    for figure in ("influence.png", "daily_lift.png", "movers.png"):
        assert f'src="{figure}"' in page
        assert (tmp_path / figure).stat().st_size > 10_000
    assert "<h3>2025-04-30</h3>" in page                          # the last day's movers table
