"""Where each stream lands, as the loader needs it: table, columns (the record's fields, in order),
natural key, merge rule; read from the declarations in shared/streams.py."""
from __future__ import annotations

from dataclasses import dataclass

from shared.streams import DECLARED, Stream

PROVENANCE = ("source", "run_id", "extracted_at")


@dataclass(frozen=True)
class TableSpec:
    stream: str
    table: str
    columns: tuple[str, ...]      # the record's fields, in model order
    key: tuple[str, ...]          # the natural primary key
    coalesce: bool = False        # a null from one source never erases another source's value
    json_columns: tuple[str, ...] = ()
    precedence: tuple[str, ...] = ()  # envelope sources, richest first (shared/streams.py)
    kept_if_null: tuple[str, ...] = ()  # derived columns a null never erases

    @property
    def provenance(self) -> tuple[str, ...]:
        """Envelope fields stored beside the record (those the record does not carry itself)."""
        return tuple(c for c in PROVENANCE if c not in self.columns)

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + self.provenance

    @property
    def value_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.key)


def _spec(stream: Stream) -> TableSpec:
    return TableSpec(stream=stream.name, table=stream.table, columns=stream.columns, key=stream.key,
                     coalesce=stream.merge == "coalesce", json_columns=stream.json_columns,
                     precedence=stream.precedence, kept_if_null=stream.kept_if_null)


SPECS: dict[str, TableSpec] = {s.name: _spec(s) for s in DECLARED}
