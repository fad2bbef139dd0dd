"""Print the figures the reliability suite measured (``var/reliability/*.json``, written by each
test of ``tests/reliability``) as the tables of docs/RELIABILITY.md.

    .venv/bin/python tests/bench/reliability_figures.py [--dir var/reliability]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "reliability")
    folder = parser.parse_args().dir
    runs = {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    for name, run in runs.items():
        if "tables" in run:
            faults = [f["fault"] for f in run["faults"]]
            print(f"## exactly once, {run.get('scenario', 'mixed')} ({run['profile']}): "
                  f"{run['records_produced']:,} records acknowledged, "
                  f"{faults.count('kill')} loader kill -9s, {faults.count('broker')} broker restarts, "
                  f"{sum(f.startswith('postgres') for f in faults)} PostgreSQL restarts "
                  f"({', '.join(f['fault'] for f in run['faults'] if f['fault'] != 'kill')}); "
                  f"loader exits on its own: {run['loader_exits']}")
            print("| table | keys produced | rows | missing | doubled | stale | wrong |\n|---|---:|---:|---:|---:|---:|---:|")
            for table, t in run["tables"].items():
                if "expected" in t:
                    print(f"| {table} | {t['expected']:,} | {t['rows']:,} | {t['missing']} | {t['doubled']} | "
                          f"{t['stale']} | {t['wrong']} |")
            print(f"dead letters: {run['tables']['if_dead_letter']['rows']}; drained "
                  f"{run['drain_seconds_after_last_fault']} s after the last fault, "
                  f"{run['drain_seconds_after_last_record']} s after the last record was acknowledged\n")
        elif "cases" in run:
            print(f"## bad input ({run['profile']}): {run['cases']} tried, {run['handled']} handled "
                  f"({run['stored']} stored as sent, {run['dead_lettered']} dead-lettered with a reason); "
                  f"the loader went on: {run['sentinel_loaded']}; failures: {run['failures'] or 'none'}\n")
        elif "mixes" in run:
            print(f"## crawls under faults ({run['profile']})")
            print("| fault mix | retries | block pages | stream | clean | faulted | lost | extra |\n"
                  "|---|---:|---:|---|---:|---:|---:|---:|")
            for mix, streams in run["mixes"].items():
                for stream, c in streams.items():
                    if isinstance(c, dict):
                        print(f"| {mix} | {streams['retries']} | {streams['block pages']} | {stream} | "
                              f"{c['clean']:,} | {c['faulted']:,} | {c['lost']} | {c['extra']} |")
            print()


if __name__ == "__main__":
    main()
