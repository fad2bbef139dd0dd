"""A toy medium added the way a new one is (issue 15): one record model and one ``Stream(...)``
(here appended to the declarations when the script starts, where a real one is a line in shared/streams.py),
its migration (tests/test_toy_stream.py creates the table) and nothing else. Run as a script, it
creates the fleet's topics, publishes toy records and runs the loader until idle, then prints what
the fleet derived from the declaration, as JSON."""
from __future__ import annotations

import datetime as dt
import json
import sys
from typing import ClassVar

from shared import streams
from shared.records import Record


class ToyMetric(Record):
    """A toy medium's daily value per stock."""

    stream: ClassVar[str] = "toy_metric"
    primary_key: ClassVar[tuple[str, ...]] = ("code", "day")

    code: str
    day: dt.date
    value: float
    note: str | None = None


TOY = streams.Stream(ToyMetric, "if_toy_metric", "a toy medium's daily value per stock", partitions=2)


def declare() -> None:
    """Add the toy to the declarations of this process only (the script's, never the tests' own:
    importing this module for its MIGRATION changes nothing)."""
    streams.DECLARED = (*streams.DECLARED, TOY)
    streams.STREAMS_BY_NAME[TOY.name] = TOY
    streams.MODELS[TOY.name] = ToyMetric

#: What the migration of the toy stream creates.
MIGRATION = """
CREATE TABLE if_toy_metric (
    code         text             NOT NULL,
    day          date             NOT NULL,
    value        double precision NOT NULL,
    note         text,
    source       text             NOT NULL,
    run_id       text             NOT NULL,
    extracted_at timestamptz      NOT NULL,
    loaded_at    timestamptz      NOT NULL DEFAULT now(),
    updated_at   timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (code, day)
);
GRANT SELECT, INSERT, UPDATE ON if_toy_metric TO insertcoin_loader;
"""


if __name__ in ("__main__", "__mp_main__"):  # the script, and the loader's decoder processes it spawns
    declare()


def main() -> int:
    # imported only now: each reads the declarations when it is first imported, as in a real process
    from services.loader.consumer import Loader
    from services.loader.tables import SPECS
    from shared.broker import Publisher, ensure_topics
    from shared.settings import get_settings
    from shared.topics import all_topics

    settings = get_settings()
    ensure_topics(settings.kafka_bootstrap_servers, settings.kafka_topic_prefix)
    publisher = Publisher(settings, source="toy", run_id="toy-1")
    day = dt.date(2026, 9, 29)
    for code, value in (("005930", 1.5), ("000660", 2.0), ("005930", 2.5)):   # the third replaces the first
        publisher.publish(ToyMetric(code=code, day=day, value=value))
    publisher.flush()
    publisher.close()
    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)
    topic = next(t for t in all_topics(settings.kafka_topic_prefix) if t.name.endswith("toy_metric"))
    print(json.dumps({"spec": [SPECS["toy_metric"].table, list(SPECS["toy_metric"].key)],
                      "topic": [topic.name, topic.partitions],
                      "readme": [line for line in streams.readme_table().splitlines() if "toy_metric" in line]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
