"""Exports: every answer in a documented long format (CSV or XLSX), plus a wide XLSX sheet.

Long format, one row per answer, in this column order:
  participant  the participant's pseudonymous id (never a Telegram id)
  cohort       the cohort's join code
  site         the cohort's site
  module       the module id
  phase        pre or post
  question     the question id from the questionnaire file
  value        a rating 1–5, a choice's option label, or the text; empty if skipped
  answered_at  when it was answered, UTC, ISO 8601 (e.g. 2026-03-14T10:02:11+00:00)
Rows are ordered by cohort, participant, phase (pre first) and the questionnaire's order.
`feedback-bot import` reads the same format back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

import pandas as pd
from openpyxl import Workbook

from analysis.load import connect_read_only, module_questions
from core.questionnaire import Module

LONG_COLUMNS = (
    "participant",
    "cohort",
    "site",
    "module",
    "phase",
    "question",
    "value",
    "answered_at",
)
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included


def iter_long(path: Path, module: Module, cohorts: Sequence[str]) -> Iterator[tuple]:
    """Every answer of `cohorts` as a long-format row, in export order, streamed."""
    codes = list(cohorts)
    order = {q.id: i for i, q in enumerate(module_questions(module))}
    phase_order = {"pre": 0, "post": 1}
    marks = ",".join("?" * len(codes)) or "NULL"
    conn = connect_read_only(path)
    try:
        # Walking participants in (cohort, pseudonym) order — their unique index — and
        # each one's answers by primary key avoids sorting millions of rows; only each
        # participant's few answers are put in questionnaire order here.
        cursor = conn.execute(
            "SELECT p.pseudonym, p.cohort, c.site, c.module, a.phase, a.question,"
            " a.value, a.answered_at"
            " FROM participants p JOIN answers a ON a.participant_id = p.id"
            " JOIN cohorts c ON c.code = p.cohort"
            f" WHERE p.cohort IN ({marks}) ORDER BY p.cohort, p.pseudonym",
            codes,
        )
        group: list[tuple] = []
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                if group and (row[0], row[1]) != (group[0][0], group[0][1]):
                    yield from _ordered(group, phase_order, order)
                    group = []
                group.append(row)
        yield from _ordered(group, phase_order, order)
    finally:
        conn.close()


def _ordered(group: list[tuple], phases: dict[str, int], order: dict[str, int]) -> list[tuple]:
    big = len(order)
    return sorted(group, key=lambda r: (phases.get(r[4], 2), order.get(r[5], big), r[5]))


def load_long(path: Path, module: Module, cohorts: Sequence[str]) -> pd.DataFrame:
    """Every answer of `cohorts`, one row each, in export order, as a frame."""
    return pd.DataFrame(
        list(iter_long(path, module, cohorts)), columns=list(LONG_COLUMNS), dtype=object
    )


def write_csv(rows: Iterable[tuple], out: IO[str]) -> int:
    """Write the long format as CSV to a text file; return the number of answers."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    count = 0
    for row in rows:
        # None (a skip) is written as an empty field, which import reads back as a skip.
        writer.writerow(row)
        count += 1
    return count


def csv_bytes(rows: pd.DataFrame | Iterable[tuple]) -> bytes:
    """The long format as UTF-8 CSV (with a byte-order mark so Excel reads accents)."""
    buffer = io.StringIO()
    if isinstance(rows, pd.DataFrame):
        rows = rows.itertuples(index=False, name=None)
    write_csv(rows, buffer)
    return buffer.getvalue().encode("utf-8-sig")


def wide_frame(long: pd.DataFrame, module: Module) -> pd.DataFrame:
    """One row per participant and phase, one column per question (skips left empty)."""
    keys = ["participant", "cohort", "site", "module", "phase"]
    if long.empty:
        return pd.DataFrame(columns=[*keys, *(q.id for q in module_questions(module))])
    wide = long.pivot(index=keys, columns="question", values="value")
    order = [q.id for q in module_questions(module)]
    columns = [q for q in order if q in wide.columns] + sorted(set(wide.columns) - set(order))
    wide = wide.reindex(columns=columns).reset_index()
    wide["_phase"] = wide["phase"].map({"pre": 0, "post": 1})
    wide = wide.sort_values(["cohort", "participant", "_phase"], kind="stable")
    return wide.drop(columns="_phase").reset_index(drop=True)


def xlsx_bytes(long: pd.DataFrame, module: Module) -> bytes:
    """An XLSX workbook: the long format ("answers") and the wide sheet ("by participant")."""
    book = Workbook(write_only=True)
    per_sheet = XLSX_MAX_ROWS - 1
    records = list(long.itertuples(index=False, name=None)) or []
    for part in range(max(1, -(-len(records) // per_sheet))):
        sheet = book.create_sheet("answers" if part == 0 else f"answers ({part + 1})")
        sheet.append(list(LONG_COLUMNS))
        for record in records[part * per_sheet : (part + 1) * per_sheet]:
            sheet.append(list(record))
    wide = wide_frame(long, module)
    sheet = book.create_sheet("by participant")
    sheet.append(list(wide.columns))
    for record in wide.itertuples(index=False, name=None):
        sheet.append([None if pd.isna(v) else v for v in record])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
