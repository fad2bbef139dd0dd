"""The power ceiling of issue 18's goal: a test that *knows* which stock-days were caused (no model,
no features) and counts how many of them landed in the day's top 10, against the base rate, at
Holm's level for the year's 12 tests. No scorer can beat it on the same events; if it misses a
lift, so must ours.

    .venv/bin/python tests/bench/oracle_power.py [--caused-per-day 2.8] [--days 123] [--stocks 300]

Defaults: the validation worlds (tests/ml/worlds.py: ~2.8 caused stocks a day, 123 scored days of
183 sessions, 300 stocks, 10 movers a day)."""
from __future__ import annotations

import argparse

from scipy.stats import binom

TESTS = 12          # a year's media x clocks
ALPHA = 0.05


def oracle_power(caused: int, base: float, lift: float, tests: int = TESTS) -> tuple[int, float]:
    """(the count needed, the probability of reaching it) for ``caused`` stock-days of which each
    lands in the top 10 with probability ``base`` x ``lift``."""
    level = ALPHA / tests
    need = next(k for k in range(caused + 1) if binom.sf(k - 1, caused, base) < level)
    return need, float(binom.sf(need - 1, caused, min(1.0, base * lift)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--caused-per-day", type=float, default=2.8)
    ap.add_argument("--days", type=int, default=123)
    ap.add_argument("--stocks", type=int, default=300)
    args = ap.parse_args()
    caused, base = round(args.caused_per_day * args.days), 10 / args.stocks
    print(f"{caused} caused stock-days, base rate {base:.4f}, Holm level {ALPHA / TESTS:.4f}")
    print("| realised lift | top-10 count needed | power of the oracle |\n|---|---|---|")
    for lift in (1.5, 1.8, 2.0, 2.2, 2.5, 3.0, 4.0):
        need, power = oracle_power(caused, base, lift)
        print(f"| {lift}x | {need} | {power:.2f} |")


if __name__ == "__main__":
    main()
