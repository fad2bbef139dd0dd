"""Matplotlib figures of the report: influence per medium over time with its intervals, and the
day's top movers beside their media activity. Each function takes frames and writes one PNG."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = {"board": "#d62728", "news": "#1f77b4", "financial": "#2ca02c", "fear_greed": "#9467bd",
          "fx": "#8c564b"}
CLOCKS = ("predictive", "explanatory")


def influence_over_time(monthly: pd.DataFrame, out: Path) -> Path:
    """Monthly influence (PR-AUC drop) per medium with its 95% bootstrap interval, one panel per
    clock and scope; filled markers where the permutation p < 0.05."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True, squeeze=False)
    for row, scope in enumerate(("stock", "market")):
        for col, clock in enumerate(CLOCKS):
            ax = axes[row, col]
            part = monthly[(monthly["clock"] == clock) & (monthly["scope"] == scope)]
            media = sorted(part["medium"].unique())
            for k, (medium, g) in enumerate(part.groupby("medium")):
                g = g.sort_values("period")
                x = pd.to_datetime(g["period"] + "-15") + pd.to_timedelta((k - len(media) / 2) * 2, "D")
                y = g["influence"].to_numpy()
                err = np.vstack([y - g["ci_low"].to_numpy(), g["ci_high"].to_numpy() - y]).clip(0)
                color = COLORS.get(medium, "grey")
                ax.errorbar(x, y, yerr=err, fmt="-", color=color, alpha=0.8, capsize=3, label=medium)
                sig = g["p_value"].to_numpy() < 0.05
                ax.scatter(x[sig], y[sig], color=color, zorder=3)
                ax.scatter(x[~sig], y[~sig], facecolor="white", edgecolor=color, zorder=3)
            ax.axhline(0, color="black", lw=0.6)
            ax.set_title(f"{clock} clock, {scope}-level media")
            ax.set_ylabel("PR-AUC drop without the medium")
            if media:
                ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Influence per medium and month (bars: 95% block-bootstrap CI; filled: p < 0.05)")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def movers_activity(movers: pd.DataFrame, out: Path, max_days: int = 10) -> Path:
    """Heatmaps, one per clock: each of the last ``max_days`` days' top-10 movers (rows) and their
    activity in board / news / financial (columns), r written beside each mover."""
    days = sorted(movers["trade_date"].unique())[-max_days:]
    media = ("board", "news", "financial")
    ncols = min(5, len(days))
    nrows = -(-len(days) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 4.2 * nrows), squeeze=False)
    for ax in axes.flat[len(days):]:
        ax.axis("off")
    for ax, day in zip(axes.flat, days):
        g = movers[movers["trade_date"] == day].sort_values("rank")
        cols = [f"{m}_{c}" for c in CLOCKS for m in media]
        values = g[cols].to_numpy(dtype=float)
        ax.imshow(np.nan_to_num(values), cmap="Reds", vmin=0, vmax=3, aspect="auto")
        ax.set_xticks(range(len(cols)), [f"{m[:4]}\n{c[:4]}" for c in CLOCKS for m in media], fontsize=7)
        ax.set_yticks(range(len(g)), [f"{c} {r:+.1%}" for c, r in zip(g["code"], g["r"])], fontsize=7)
        ax.axvline(2.5, color="black", lw=0.8)
        ax.set_title(pd.Timestamp(day).strftime("%Y-%m-%d"), fontsize=9)
    fig.suptitle("Top 10 movers by |r| and their media activity (left: predictive, right: explanatory)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def daily_lift(daily: pd.DataFrame, out: Path) -> Path:
    """Daily lift of top-10 membership among active stocks, per stock medium and clock (log scale)."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.5), sharey=True, squeeze=False)
    for ax, clock in zip(axes[0], CLOCKS):
        part = daily[(daily["clock"] == clock) & (daily["scope"] == "stock")]
        for medium, g in part.groupby("medium"):
            g = g.sort_values("trade_date")
            ax.plot(pd.to_datetime(g["trade_date"]), g["lift"].clip(lower=0.1), ".-", ms=3, lw=0.7,
                    color=COLORS.get(medium, "grey"), label=medium)
        ax.axhline(1, color="black", lw=0.6)
        ax.set_yscale("log")
        ax.set_title(f"daily lift, {clock} clock")
        ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
