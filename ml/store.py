"""Writing scores to the ML tables: each call replaces the rows of the dates / periods it scored,
all in one transaction, so re-running a range is idempotent."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from psycopg2.extras import execute_values

TOP_MOVER_COLS = ("trade_date", "list", "rank", "code", "r", "direction", "open", "close", "volume",
                  "n_valid", "board_predictive", "board_explanatory", "news_predictive",
                  "news_explanatory", "financial_predictive", "financial_explanatory")
DAILY_COLS = ("trade_date", "medium", "clock", "scope", "n_universe", "n_top", "n_active",
              "n_top_active", "base_rate", "lift", "p_value")
INFLUENCE_COLS = ("period_type", "period", "medium", "clock", "scope", "model", "influence", "ci_low",
                  "ci_high", "p_value", "rank", "pr_auc_full", "pr_auc_without", "n_days",
                  "n_permutations", "n_bootstrap", "train_days", "p_adjusted", "significant", "family",
                  "method")
PCA_COLS = ("period_type", "period", "clock", "component", "explained_variance_ratio", "loadings",
            "n_rows")


def _rows(frame: pd.DataFrame, cols: tuple[str, ...]) -> list[tuple]:
    def clean(v):
        if isinstance(v, dict):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, (np.datetime64, pd.Timestamp)):
            return pd.Timestamp(v).date()
        if v is pd.NA or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
            return None
        return v.item() if isinstance(v, np.generic) else v
    return [tuple(clean(v) for v in row) for row in frame[list(cols)].itertuples(index=False, name=None)]


def replace_scores(conn, start, end, movers: pd.DataFrame, daily: pd.DataFrame,
                   influence: pd.DataFrame, pca: pd.DataFrame) -> dict[str, int]:
    """Replace top movers and daily scores of [start, end] and the rolling scores / PCA rows of the
    periods present in ``influence`` / ``pca``, in one transaction. Returns rows written."""
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM if_top_mover WHERE trade_date BETWEEN %s AND %s", (start, end))
        cur.execute("DELETE FROM if_media_influence_daily WHERE trade_date BETWEEN %s AND %s",
                    (start, end))
        for table, frame in (("m_media_influence", influence), ("m_media_pca", pca)):
            if len(frame):
                keys = sorted(set(zip(frame["period_type"], frame["period"])))
                execute_values(cur, f"DELETE FROM {table} t USING (VALUES %s) AS k(pt, p) "
                                    "WHERE t.period_type = k.pt AND t.period = k.p", keys)
        written = {}
        for table, frame, cols in (("if_top_mover", movers, TOP_MOVER_COLS),
                                   ("if_media_influence_daily", daily, DAILY_COLS),
                                   ("m_media_influence", influence, INFLUENCE_COLS),
                                   ("m_media_pca", pca, PCA_COLS)):
            rows = _rows(frame, cols) if len(frame) else []
            if rows:
                execute_values(cur, f"INSERT INTO {table} ({', '.join(cols)}) VALUES %s", rows,
                               page_size=5000)
            written[table] = len(rows)
    return written
