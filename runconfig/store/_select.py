"""The SELECT behind ``find_runs``: filter, sort, limit, on either engine.

Sorting by a config or summary entry puts numbers first, then strings, then the runs
that lack both (missing, bool, null, NaN, list, dict), in either direction; ties go
newest first. Each of those classes is its own query, so that the engine can walk the
entry's ``(section, path, num|txt)`` index in order and stop at ``limit``.

SQLite does that by itself. PostgreSQL's planner only walks the index if it expects the
filter to pass often, and its guess for ``path = 'optimizer' AND txt = 'adam'`` is poor:
it turns the EXISTS into a join and sorts every match (0.5 s at 100k runs). So there a
class is first *probed*: the filter, hidden from the planner in a sub-select, runs on
the index entries up to the value ``PROBE`` entries down, walked in order. If that
yields ``limit`` runs, they are the answer; if not, a probe ten times longer; then (a
rare filter) the class is queried whole and the planner chooses.

Walking the order is fast when the filter passes often; when it passes for one run in a
thousand, it reads a thousand index entries per run returned. So first, on both engines,
each comparison the filter cannot do without (a top-level ``and`` operand such as
``dropout < 0.002``: :attr:`SqlFragment.narrowing`) has its index range counted, up to
``RARE`` entries. If testing the runs of the smallest range costs less than the walk is
expected to (see :meth:`RunSelect._starting_runs`), only those runs are tested, then sorted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from runconfig.store import schema
from runconfig.store._sql import NUMBER, RANK, RUN_SELECT, Row
from runconfig.store.base import OrderKey, SqlFragment

__all__ = ["PROBE", "PROBE_PER_RUN", "RARE", "RunSelect"]

PROBE = 1000  # entries a first probe reads at least ...
PROBE_PER_RUN = 20  # ... and per run wanted, if that is more; a second probe reads 10x
RARE = 20_000  # entries a predicate's range is counted up to (see RunSelect._starting_runs)
READ_PER_TEST = 20  # index entries read in order cost about as much as testing one run
INTERSECT = 5  # ... and an entry intersected with another range costs as much as 5 read


class RunSelect:
    """Builds and runs the run queries of one store (``execute`` returns a cursor).

    ``probe``: probe before querying a whole class (for PostgreSQL; SQLite never
    flattens a correlated EXISTS, so it walks the index in order by itself). ``text_key``:
    the column whose index sorts strings, ``txt`` or its prefix ``txt_key`` (PostgreSQL),
    which sorts as ``txt`` does but ties where ``txt`` does not: ``txt`` then breaks them.
    """

    def __init__(
        self,
        execute: Callable[[str, Sequence[Any]], Any],
        placeholder: str,
        text_order: Callable[[str], str],
        probe: bool,
        text_key: str = "txt",
    ) -> None:
        self._execute = execute
        self._probe = probe
        self._ph = placeholder
        self._text_order = text_order
        self._text_key = text_key

    def rows(
        self,
        project: str | None,
        where: SqlFragment | None,
        order: Sequence[OrderKey],
        limit: int | None,
        select: str = RUN_SELECT,
    ) -> list[Row]:
        """Run rows (``RUN_SELECT``, or the columns ``select`` names) matching, sorted and
        cut as ``find_runs`` says."""
        ph = self._ph
        conds, params = self._filter(project, where)
        if where is not None:
            rare = self._starting_runs(where.narrowing, limit)
            if rare is not None:
                # Few runs can match: test only those, then sort them (no index walk).
                # PostgreSQL gets them as an array: given the sub-select, its planner
                # misjudges how few they are and scans the other predicates' ranges.
                among, among_params = f"r.rid IN ({rare.sql})", list(rare.params)
                if self._probe:
                    rids = [row[0] for row in self._execute(rare.sql, rare.params).fetchall()]
                    among, among_params = f"r.rid = ANY({ph}::bigint[])", [rids]
                joins, join_params, terms = self._order_terms(order, 0)
                return self._query(
                    select,
                    "FROM rc_runs r",
                    joins,
                    [among, *conds],
                    terms,
                    limit,
                    [*join_params, *among_params, *params],
                )
        if not order or order[0].section == "r":
            joins, join_params, terms = self._order_terms(order, 0)
            return self._query(
                select, "FROM rc_runs r", joins, conds, terms, limit, join_params + params
            )

        first = order[0]
        rest = self._order_terms(order[1:], 1)
        found: list[Row] = []
        for column, kind in (("num", "'n'"), (self._text_key, "'s'")):
            need = None if limit is None else limit - len(found)
            if need is not None and need <= 0:
                return found
            found += self._ranked(first, column, kind, rest, conds, params, need, select)
        if limit is not None and len(found) >= limit:
            return found
        joins, join_params, terms = rest
        lacking = (
            f"NOT EXISTS (SELECT 1 FROM rc_entries k0 WHERE k0.rid = r.rid AND k0.section = "
            f"{ph} AND k0.path = {ph} AND ({NUMBER.format(a='k0')} OR k0.kind = 's'))"
        )
        return found + self._query(
            select,
            "FROM rc_runs r",
            joins,
            [lacking, *conds],
            terms,
            None if limit is None else limit - len(found),
            [*join_params, first.section, first.path, *params],
        )

    def _filter(
        self, project: str | None, where: SqlFragment | None
    ) -> tuple[list[str], list[Any]]:
        """The conditions (and their parameters) of a project and a query."""
        conds: list[str] = []
        params: list[Any] = []
        if project is not None:
            conds.append(f"r.project = {self._ph}")
            params.append(project)
        if where is not None:
            conds.append(f"({where.sql})")
            params.extend(where.params)
        return conds, params

    def count(self, project: str | None, where: SqlFragment | None) -> int:
        """How many runs match."""
        conds, params = self._filter(project, where)
        sql = "SELECT COUNT(*) FROM rc_runs r" + (" WHERE " + " AND ".join(conds) if conds else "")
        return int(self._execute(sql, params).fetchone()[0])

    def _starting_runs(
        self, narrowing: Sequence[SqlFragment], limit: int | None
    ) -> SqlFragment | None:
        """The runs to start from, as a sub-select, or None to walk the order.

        Each range is counted, up to ``RARE`` entries. The ranges counted whole are
        intersected: reading them costs little per entry (in index order), then each run
        left is tested. Walking the order tests about ``limit / selectivity`` runs, the
        selectivity estimated as the product of each range's share of the runs (capped
        counts make it an overestimate, which favours the walk)."""
        if not narrowing:
            return None
        counts = []
        for fragment in narrowing:
            (count,) = self._execute(
                f"SELECT COUNT(*) FROM ({fragment.sql} LIMIT {self._ph}) AS t",
                (*fragment.params, RARE),
            ).fetchone()
            counts.append((int(count), fragment))
        whole = sorted(
            ((count, fragment) for count, fragment in counts if count < RARE),
            key=lambda counted: counted[0],
        )
        if not whole:
            return None
        (top,) = self._execute("SELECT COALESCE(MAX(rid), 0) FROM rc_runs", ()).fetchone()
        runs = max(int(top), 1)
        # Start from the smallest range; intersect another with it only where the runs it
        # would spare a test (the others' conditions are tested on every run left) cost
        # more than intersecting it: a range of 7,500 runs spares a quarter of 2,500 runs
        # the test of one condition, far less than its 10,000 entries cost to intersect.
        chosen, left = [whole[0]], float(whole[0][0])
        for count, fragment in whole[1:]:
            spared = left * (1 - count / runs)
            if spared * READ_PER_TEST <= (count + (left if len(chosen) == 1 else 0)) * INTERSECT:
                break
            chosen.append((count, fragment))
            left *= count / runs
        start = SqlFragment(
            " INTERSECT ".join(f.sql for _, f in chosen),
            tuple(p for _, f in chosen for p in f.params),
        )
        if limit is None or whole[0][0] == 0:
            return start
        share = [count / runs for count, _ in counts]
        walk = limit / max(math.prod(share), 1e-12)
        return start if sum(c for c, _ in chosen) / READ_PER_TEST + left < walk else None

    def _ranked(
        self,
        key: OrderKey,
        column: str,
        kind: str,
        rest: tuple[list[str], list[Any], list[str]],
        conds: list[str],
        params: list[Any],
        need: int | None,
        select: str = RUN_SELECT,
    ) -> list[Row]:
        """The runs whose ``key`` entry is of ``kind`` (sorted by ``column``), best first."""
        ph, d = self._ph, " DESC" if key.descending else ""
        joins, join_params, terms = rest
        entry = f"k0.section = {ph} AND k0.path = {ph} AND k0.{column} IS NOT NULL"
        at = [key.section, key.path]
        # A prefix (txt_key) sorts as its text does, up to ties that the text breaks where a
        # text is longer (the probe's bound keeps every tie, so a run past it still ranks
        # after all it found).
        by = [f"k0.{column}{d}", *terms]
        if column == "txt_key" and self._longer_than_key(key):
            by.insert(1, f"k0.txt{d}")
        spans = [] if need is None or not self._probe else [max(PROBE, PROBE_PER_RUN * need)]
        for span in [*spans, *(10 * s for s in spans)]:
            # The value of the index entry `span` places down: read no further than that.
            bound = self._execute(
                f"SELECT k0.{column} FROM rc_entries k0 WHERE {entry} "
                f"ORDER BY k0.{column}{d} LIMIT 1 OFFSET {ph}",
                (*at, span - 1),
            ).fetchone()
            within = [] if bound is None else [f"k0.{column} {'>=' if d else '<='} {ph}"]
            probed = self._query(
                select,
                "FROM rc_entries k0 JOIN rc_runs r ON r.rid = k0.rid",
                joins,
                [entry, *within, f"k0.kind = {kind}", *(f"(SELECT {c})" for c in conds)],
                by,
                need,
                [*join_params, *at, *([] if bound is None else [bound[0]]), *params],
            )
            # Complete when the probe reached the end of the index, or found enough: a run
            # it did not see has a value past the bound, so it ranks after all of these.
            if bound is None or len(probed) == need:
                return probed
        return self._query(
            select,
            "FROM rc_entries k0 JOIN rc_runs r ON r.rid = k0.rid",
            joins,
            [entry, f"k0.kind = {kind}", *conds],
            by,
            need,
            [*join_params, *at, *params],
        )

    def _longer_than_key(self, key: OrderKey) -> bool:
        """Whether a text at ``key``'s path may be longer than its txt_key (the partial
        index rc_entries_long answers, reading no text)."""
        ph = self._ph
        (found,) = self._execute(
            f"SELECT EXISTS (SELECT 1 FROM rc_entries WHERE section = {ph} AND path = {ph}"
            f" AND octet_length(txt) > {schema.TEXT_KEY})",
            (key.section, key.path),
        ).fetchone()
        return bool(found)

    def _query(
        self,
        select: str,
        source: str,
        joins: list[str],
        conds: list[str],
        terms: list[str],
        limit: int | None,
        params: list[Any],
    ) -> list[Row]:
        sql = f"SELECT {select} {source}"
        if joins:
            sql += " " + " ".join(joins)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += " ORDER BY " + ", ".join(terms)
        if limit is not None:
            sql += f" LIMIT {self._ph}"
            params = [*params, max(limit, 0)]
        return list(self._execute(sql, params).fetchall())

    def _order_terms(
        self, keys: Sequence[OrderKey], alias: int
    ) -> tuple[list[str], list[Any], list[str]]:
        """LEFT JOINs, their parameters and ORDER BY terms for ``keys``, then newest first."""
        ph = self._ph
        joins: list[str] = []
        params: list[Any] = []
        terms: list[str] = []
        for i, key in enumerate(keys, alias):
            d = " DESC" if key.descending else ""
            if key.section == "r":
                kind = schema.RUN_COLUMNS.get(key.path)
                if kind is None:
                    raise ValueError(
                        f"cannot sort by run field {key.path!r}: "
                        f"the fields are {', '.join(schema.RUN_COLUMNS)}"
                    )
                col = f"r.{schema.COLUMN_NAMES.get(key.path, key.path)}"
                terms += [f"{col} IS NULL", (self._text_order(col) if kind == "s" else col) + d]
            elif key.section in ("c", "s"):
                a = f"k{i}"
                joins.append(
                    f"LEFT JOIN rc_entries {a} ON {a}.rid = r.rid "
                    f"AND {a}.section = {ph} AND {a}.path = {ph}"
                )
                params += [key.section, key.path]
                terms += [
                    RANK.format(a=a),
                    f"CASE WHEN {a}.kind = 'n' THEN {a}.num END{d}",
                    f"CASE WHEN {a}.kind = 's' THEN {a}.txt END{d}",
                ]
            else:
                raise ValueError(f"unknown order section {key.section!r}: use 'c', 's' or 'r'")
        terms += ["r.created_at DESC", "r.rid DESC"]
        return joins, params, terms
