"""Exports: every answer in a documented long format (CSV or XLSX), plus a wide XLSX sheet.

Long format, one row per answer, in this column order:
  participant  the participant's pseudonymous id (never a Telegram id)
  cohort       the cohort's join code
  site         the cohort's site
  module       the module id
  phase        pre, post or follow_up
  question     the question id from the questionnaire file
  value        a rating 1–5, a choice's option label, or the text; empty if skipped
  answered_at  when it was answered, UTC, ISO 8601 (e.g. 2026-03-14T10:02:11+00:00)
Rows are ordered by cohort, participant, phase (pre, post, follow_up) and the
questionnaire's order.
`feedback-bot import` reads the same format back.

The XLSX workbook holds typed cells (ratings as numbers, times as date-times in UTC):
  answers         the long format, as above ("answered_at (UTC)")
  by participant  one row per participant: profile answers, then pre_<id>, post_<id> and
                  follow_up_<id> per question; an empty cell is a question not answered, and the
                  `skipped` column names the ones the participant chose to skip
  codebook        one row per column of "by participant": question, phase, text, kind,
                  options and their codes, required, profile, paired (compared with
                  another phase)
  summary         the report's figures, suppressed as in the report (when given one),
                  the follow-up's after them (when there are follow-up answers)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from analysis.load import all_questions
from analysis.released import FollowUpSummary, ModuleSummary
from analysis.render_sheet import SUMMARY_COLUMNS, follow_up_rows, summary_rows
from core.questionnaire import ALL_PHASES, FOLLOW_UP, Module, Phase, Question
from core.storage import Target, long_rows

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


def iter_long(database: Target, module: Module, cohorts: Sequence[str]) -> Iterator[tuple]:
    """Every answer of `cohorts` as a long-format row, in export order, streamed."""
    order = {q.id: i for i, q in enumerate(all_questions(module))}
    phase_order: dict[str, int] = {phase: i for i, phase in enumerate(ALL_PHASES)}
    # The storage hands each participant's answers together, participants in export order;
    # only each one's few answers are put in questionnaire order here.
    group: list[tuple] = []
    for row in long_rows(database, cohorts):
        if group and (row[0], row[1]) != (group[0][0], group[0][1]):
            yield from _ordered(group, phase_order, order)
            group = []
        group.append(row)
    yield from _ordered(group, phase_order, order)


def _ordered(group: list[tuple], phases: dict[str, int], order: dict[str, int]) -> list[tuple]:
    big = len(order)
    return sorted(group, key=lambda r: (phases.get(r[4], len(phases)), order.get(r[5], big), r[5]))


def load_long(database: Target, module: Module, cohorts: Sequence[str]) -> pd.DataFrame:
    """Every answer of `cohorts`, one row each, in export order, as a frame."""
    return pd.DataFrame(
        list(iter_long(database, module, cohorts)), columns=list(LONG_COLUMNS), dtype=object
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


KEYS = ("participant", "cohort", "site", "module")
SKIPPED = "skipped"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
WIDTH_SAMPLE = 2000  # rows looked at to size a column
MAX_WIDTH = 60


def wide_column(question: Question, phase: Phase) -> str:
    """A question's column in the wide sheet: profile answers once, others per phase."""
    return question.id if question.profile else f"{phase}_{question.id}"


def wide_questions(module: Module) -> list[tuple[str, Phase, Question]]:
    """(column, phase, question) of the wide sheet, profile questions first."""
    columns: dict[str, tuple[str, Phase, Question]] = {}
    for question in module.profile_questions:
        phase: Phase = "pre" if module.question("pre", question.id) else "post"
        columns[question.id] = (question.id, phase, question)
    for phase in module.phases:
        for question in module.questionnaire(phase).questions:
            name = wide_column(question, phase)
            columns.setdefault(name, (name, phase, question))
    return list(columns.values())


def typed_values(long: pd.DataFrame, module: Module) -> np.ndarray:
    """The value column with ratings as whole numbers (skips stay None)."""
    ratings = {q.id for q in all_questions(module) if q.kind == "rating"}
    values = long["value"].to_numpy(dtype=object).copy()
    mask = long["question"].isin(ratings).to_numpy() & long["value"].notna().to_numpy()
    numbers = pd.to_numeric(pd.Series(values[mask]), errors="coerce")
    # A value the questionnaire no longer allows stays as written rather than vanish.
    values[mask] = [
        int(n) if not pd.isna(n) else v for n, v in zip(numbers, values[mask], strict=True)
    ]
    return values


def typed_times(long: pd.DataFrame) -> np.ndarray:
    """answered_at as naive UTC date-times (Excel has no time zones), None when unknown."""
    times = pd.to_datetime(long["answered_at"], utc=True, format="ISO8601", errors="coerce")
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.astype(object).where(naive.notna(), None).to_numpy(dtype=object)


def wide_frame(long: pd.DataFrame, module: Module) -> pd.DataFrame:
    """One row per participant, one column per question and phase, plus `skipped`."""
    layout = wide_questions(module)
    names = [name for name, _, _ in layout]
    if long.empty:
        return pd.DataFrame(columns=[*KEYS, *names, SKIPPED])
    profile = {q.id for q in module.profile_questions}
    frame = long[list(KEYS)].copy()
    frame["column"] = np.where(
        long["question"].isin(profile), long["question"], long["phase"] + "_" + long["question"]
    )
    frame["value"] = typed_values(long, module)
    frame["skip"] = long["value"].isna().to_numpy()
    frame = frame.drop_duplicates(subset=[*KEYS, "column"])
    wide = frame.pivot(index=list(KEYS), columns="column", values="value")
    extra = sorted(set(wide.columns) - set(names))
    wide = wide.reindex(columns=names + extra)
    for name, _, question in layout:
        if question.kind == "rating":
            wide[name] = pd.to_numeric(wide[name], errors="coerce").astype("Int64")
    position = {name: i for i, name in enumerate(names + extra)}
    skips = frame[frame["skip"]]
    skipped = skips.groupby(list(KEYS))["column"].agg(
        lambda cols: " ".join(sorted(cols, key=lambda c: position.get(c, len(position))))
    )
    wide[SKIPPED] = skipped.reindex(wide.index)
    wide = wide.reset_index()
    wide = wide.sort_values(["cohort", "participant"], kind="stable")
    return wide.reset_index(drop=True)


def codebook_rows(module: Module) -> list[list[object]]:
    """One row per column of the wide sheet, saying what it holds and how it is coded."""
    rows: list[list[object]] = [
        [
            "participant",
            "",
            "",
            "pseudonymous id (a keyed hash; never a Telegram id)",
            "id",
            "",
            "",
            "",
            "",
        ],
        ["cohort", "", "", "the cohort's join code", "id", "", "", "", ""],
        ["site", "", "", "the cohort's site", "text", "", "", "", ""],
        ["module", "", "", "the module id", "text", "", "", "", ""],
    ]
    paired = {q.id for q in module.paired_questions}
    tracked = {q.id for q in module.tracked_questions}
    for name, phase, question in wide_questions(module):
        compared = question.id in (tracked if phase == FOLLOW_UP else paired)
        if question.kind == "rating":
            codes = f"1 = {question.low}; 5 = {question.high} (whole numbers 1–5)"
        elif question.kind == "choice":
            codes = "; ".join(f"{i} = {o}" for i, o in enumerate(question.options, 1))
            codes += " (cells hold the option's text; codes as used in the analysis)"
        else:
            codes = f"free text, at most {question.max_length} characters"
        rows.append(
            [
                name,
                question.id,
                "pre or post" if question.profile else phase,
                question.text,
                question.kind,
                codes,
                "yes" if question.required else "no",
                "yes" if question.profile else "no",
                "yes" if compared else "no",
            ]
        )
    rows.append(
        [
            SKIPPED,
            "",
            "",
            "the columns of questions this participant chose to skip, separated "
            "by spaces. An empty question cell not named here was not answered: not asked in "
            "that phase, or not reached",
            "list",
            "",
            "",
            "",
            "",
        ]
    )
    return rows


CODEBOOK_COLUMNS = (
    "column",
    "question",
    "phase",
    "text",
    "kind",
    "options and codes",
    "required",
    "profile",
    "paired",
)


def xlsx_bytes(
    long: pd.DataFrame,
    module: Module,
    summary: ModuleSummary | None = None,
    follow_up: FollowUpSummary | None = None,
) -> bytes:
    """The XLSX workbook described in the module docstring."""
    book = Workbook(write_only=True)
    per_sheet = XLSX_MAX_ROWS - 1
    header = [*LONG_COLUMNS[:-1], "answered_at (UTC)"]
    data = long.copy()
    data["value"] = typed_values(long, module)
    data["answered_at"] = typed_times(long)
    records = list(data.itertuples(index=False, name=None))
    time_column = len(LONG_COLUMNS) - 1
    for part in range(max(1, -(-len(records) // per_sheet))):
        chunk = records[part * per_sheet : (part + 1) * per_sheet]
        name = "answers" if part == 0 else f"answers ({part + 1})"
        _write_sheet(book.create_sheet(name), header, chunk, {time_column: TIME_FORMAT})
    wide = wide_frame(long, module)
    rows = [
        [None if v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in record]
        for record in wide.itertuples(index=False, name=None)
    ]
    _write_sheet(book.create_sheet("by participant"), list(wide.columns), rows, {})
    _write_sheet(book.create_sheet("codebook"), list(CODEBOOK_COLUMNS), codebook_rows(module), {})
    if summary is not None:
        figures = summary_rows(summary) + (follow_up_rows(follow_up) if follow_up else [])
        _write_sheet(book.create_sheet("summary"), list(SUMMARY_COLUMNS), figures, {})
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(
    sheet: WriteOnlyWorksheet,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    formats: dict[int, str],
) -> None:
    """A sheet with a frozen, filterable header row and columns wide enough to read."""
    for index, name in enumerate(header):
        sample = [len(str(r[index])) for r in rows[:WIDTH_SAMPLE] if r[index] is not None]
        if index in formats:
            sample.append(len("2026-03-14 10:02:11"))
        width = min(MAX_WIDTH, max([len(name), *sample]) + 2)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{len(rows) + 1}"
    sheet.append(list(header))
    if not formats:
        for row in rows:
            sheet.append(list(row))
        return
    from openpyxl.cell import WriteOnlyCell

    for row in rows:
        cells: list[object] = list(row)
        for index, number_format in formats.items():
            if cells[index] is not None:
                cell = WriteOnlyCell(sheet, value=cells[index])
                cell.number_format = number_format
                cells[index] = cell
        sheet.append(cells)
