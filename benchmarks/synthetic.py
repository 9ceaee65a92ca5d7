"""A synthetic module and database for the benchmark: many participants, millions of answers."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from core.storage import migrate
from sim import config as sim_config
from sim.config import CohortSpec, ModuleSpec, toml_value

ITEMS = 8  # paired confidence items

QUESTIONNAIRE = """
title = "Synthetic"
[pre]
{profiles}
{pre_items}
[post]
[[post.questions]]
id = "met_expectations"
kind = "choice"
required = true
text = "Met expectations?"
options = ["Yes", "Partly", "No"]
[[post.questions]]
id = "relevance"
kind = "rating"
text = "Relevance?"
low = "none"
high = "very"
[[post.questions]]
id = "new_info"
kind = "rating"
text = "New?"
low = "none"
high = "all"
{post_items}
[[post.questions]]
id = "comment"
kind = "text"
text = "Comments?"
"""

# The profile questions (asked once, before the module): id → (text, options), each
# followed by "Other".
PROFILES = {
    "sector": ("Sector?", ["NHS", "Local authority", "Education", "Voluntary", "Commissioning"]),
    "role": ("Role?", ["Clinician", "Commissioner", "Manager", "Youth worker", "School nurse"]),
}

PROFILE = """
[[pre.questions]]
id = "{id}"
kind = "choice"
profile = true
required = true
text = "{text}"
options = {options}
"""

ITEM = """
[[{phase}.questions]]
id = "conf_{i}"
kind = "rating"
text = "Confidence {i}?"
low = "low"
high = "high"
"""


def write_config(folder: Path, cohorts: int, database: str = "bench.db") -> Path:
    """A config with the synthetic module and `cohorts` cohorts at three sites."""
    items = {p: "".join(ITEM.format(phase=p, i=i) for i in range(ITEMS)) for p in ("pre", "post")}
    profiles = "".join(
        PROFILE.format(id=id_, text=text, options=toml_value([*options, "Other"]))
        for id_, (text, options) in PROFILES.items()
    )
    questionnaire = QUESTIONNAIRE.format(
        profiles=profiles, pre_items=items["pre"], post_items=items["post"]
    )
    (folder / "synthetic.toml").write_text(questionnaire, encoding="utf-8")
    days = [datetime(2026, 3, 1 + c % 28, 9, tzinfo=UTC) for c in range(cohorts)]
    sites = ("London", "Manchester", "Leeds")
    specs = [
        CohortSpec(f"SY-{c:04d}", day, day + timedelta(hours=8), "synthetic", sites[c % 3])
        for c, day in enumerate(days)
    ]
    module = ModuleSpec("synthetic", Path("synthetic.toml"), "Synthetic")
    return sim_config.write_config(folder, specs, modules=[module], database=database)


def fill_database(path: Path, participants: int, cohorts: int, seed: int = 1) -> int:
    """Write participants, responses and answers; return the number of answers."""
    rng = np.random.default_rng(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn)
    stamp = "2026-03-01T09:00:00+00:00"
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO cohorts VALUES (?, 'synthetic', ?, ?, ?)",
        [
            (f"SY-{c:04d}", ("London", "Manchester", "Leeds")[c % 3], stamp, stamp)
            for c in range(cohorts)
        ],
    )
    pids = np.arange(1, participants + 1)
    conn.executemany(
        "INSERT INTO participants VALUES (?, ?, NULL, ?, ?, ?)",
        ((int(p), f"SY-{p % cohorts:04d}", f"P{p:07d}", stamp, stamp) for p in pids),
    )
    does_post = rng.random(participants) < 0.8
    conn.executemany(
        "INSERT INTO responses VALUES (?, ?, ?, ?, NULL, NULL)",
        (
            (int(p), phase, stamp, None if rng.random() < 0.05 else stamp)
            for p, post in zip(pids, does_post, strict=True)
            for phase in (("pre", "post") if post else ("pre",))
        ),
    )
    count = 0

    def answers():
        nonlocal count
        sectors = rng.integers(0, 6, participants)
        roles = rng.integers(0, 6, participants)
        pre = rng.integers(1, 6, (participants, ITEMS))
        post = np.minimum(pre + rng.integers(0, 3, (participants, ITEMS)), 5)
        sector_names = [
            "NHS",
            "Local authority",
            "Education",
            "Voluntary",
            "Commissioning",
            "Other",
        ]
        role_names = [
            "Clinician",
            "Commissioner",
            "Manager",
            "Youth worker",
            "School nurse",
            "Other",
        ]
        for k, p in enumerate(pids):
            p = int(p)
            yield (p, "pre", "sector", sector_names[sectors[k]], stamp)
            yield (p, "pre", "role", role_names[roles[k]], stamp)
            for i in range(ITEMS):
                yield (p, "pre", f"conf_{i}", str(pre[k, i]), stamp)
            count += 2 + ITEMS
            if does_post[k]:
                yield (p, "post", "met_expectations", ("Yes", "Partly", "No")[k % 3], stamp)
                yield (p, "post", "relevance", str(1 + k % 5), stamp)
                yield (p, "post", "new_info", None if k % 7 == 0 else str(1 + k % 4), stamp)
                for i in range(ITEMS):
                    yield (p, "post", f"conf_{i}", str(post[k, i]), stamp)
                count += 3 + ITEMS
                if k % 10 == 0:
                    yield (p, "post", "comment", f"Comment number {k}", stamp)
                    count += 1

    conn.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?)", answers())
    conn.commit()
    conn.close()
    return count
