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
    """Monthly influence per medium with its 95% CI, one panel per clock and scope, one tick per
    month; filled markers where the medium passed Holm's correction (``significant``)."""
    months = sorted(monthly["period"].unique())
    pos = {m: i for i, m in enumerate(months)}
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True, squeeze=False)
    for row, scope in enumerate(("stock", "market")):
        for col, clock in enumerate(CLOCKS):
            ax = axes[row, col]
            part = monthly[(monthly["clock"] == clock) & (monthly["scope"] == scope)]
            media = sorted(part["medium"].unique())
            for k, (medium, g) in enumerate(part.groupby("medium")):
                g = g.sort_values("period")
                x = g["period"].map(pos).to_numpy() + (k - (len(media) - 1) / 2) * 0.12
                y = g["influence"].to_numpy()
                err = np.vstack([y - g["ci_low"].to_numpy(), g["ci_high"].to_numpy() - y]).clip(0)
                color = COLORS.get(medium, "grey")
                ax.errorbar(x, y, yerr=err, fmt="-", color=color, alpha=0.8, capsize=3, label=medium)
                sig = g["significant"].astype(bool).to_numpy() if "significant" in g else np.zeros(len(g), bool)
                ax.scatter(x[sig], y[sig], color=color, zorder=3)
                ax.scatter(x[~sig], y[~sig], facecolor="white", edgecolor=color, zorder=3)
            ax.axhline(0, color="black", lw=0.6)
            ax.set_title(f"{clock} clock, {scope}-level media")
            ax.set_ylabel("AP gain over the medium shuffled")
            ax.set_xticks(range(len(months)), months)
            if media:
                ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Influence per medium and month (bars: 95% CI; filled: passed Holm's correction at 5%)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


#: What a movers heatmap cell shows, per medium.
ACTIVITY_UNITS = {"board": "log of posts over usual", "news": "log(1 + mention weight)",
                  "financial": "log(1 + events)"}


def movers_activity(movers: pd.DataFrame, out: Path, max_days: int = 10) -> Path:
    """Heatmaps, one per day: each of the last ``max_days`` days' top-10 movers (rows) and their
    activity per medium and clock (columns), r in % beside each mover, one shared colour bar."""
    days = sorted(movers["trade_date"].unique())[-max_days:]
    media = ("board", "news", "financial")
    ncols = min(5, len(days))
    nrows = -(-len(days) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 4.4 * nrows + 0.8), squeeze=False)
    for ax in axes.flat[len(days):]:
        ax.axis("off")
    image = None
    for ax, day in zip(axes.flat, days):
        g = movers[movers["trade_date"] == day].sort_values("rank")
        cols = [f"{m}_{c}" for c in CLOCKS for m in media]
        values = g[cols].to_numpy(dtype=float)
        image = ax.imshow(np.nan_to_num(values), cmap="Reds", vmin=0, vmax=3, aspect="auto")
        ax.set_xticks(range(len(cols)), [m for _c in CLOCKS for m in media], fontsize=7, rotation=60)
        ax.set_yticks(range(len(g)), [f"{c} {r:+.1%}" for c, r in zip(g["code"], g["r"])], fontsize=7)
        ax.axvline(2.5, color="black", lw=0.8)
        ax.set_title(pd.Timestamp(day).strftime("%Y-%m-%d") + "\npredictive | explanatory", fontsize=8)
    fig.suptitle("Top 10 movers by |r| and their media (left three columns: before the open; right: the day)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    if image is not None:
        bar = fig.add_axes((0.25, 0.06, 0.5, 0.015))
        fig.colorbar(image, cax=bar, orientation="horizontal").set_label(
            "activity: board " + ACTIVITY_UNITS["board"] + "; news " + ACTIVITY_UNITS["news"]
            + "; financial " + ACTIVITY_UNITS["financial"], fontsize=8)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def daily_lift(daily: pd.DataFrame, out: Path) -> Path:
    """Daily lift of top-10 membership among active stocks, per stock medium and clock, on a
    linear axis (a lift of 0, no active stock among the top 10, is drawn at 0); days without an
    active stock have no lift and no point; a medium with none at all is named in the panel."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.5), sharey=True, squeeze=False)
    for ax, clock in zip(axes[0], CLOCKS):
        part = daily[(daily["clock"] == clock) & (daily["scope"] == "stock")]
        silent = []
        for medium, g in part.groupby("medium"):
            g = g.sort_values("trade_date")
            if not np.isfinite(g["lift"].to_numpy(dtype=float)).any():
                silent.append(medium)
                continue
            ax.plot(pd.to_datetime(g["trade_date"]), g["lift"], ".", ms=4, alpha=0.8,
                    color=COLORS.get(medium, "grey"), label=medium)
        ax.axhline(1, color="black", lw=0.6)
        ax.set_title(f"daily lift, {clock} clock" + (f" (no active stock: {', '.join(silent)})" if silent else ""),
                     fontsize=9)
        ax.set_ylabel("P(top 10 | active) / P(top 10)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
