"""The database: the only code that writes SQL, for SQLite and PostgreSQL alike.

- `schema`: the one ordered list of migrations, each step in both engines' words;
- `target`: which database `bot.database` names (a path, or a `postgresql://` URL);
- `unit` and `database`: a unit of work (`Tx`) and the `Database` that hands them out
  (`write()`, `read()`), opened by `open_database` on either engine;
- `sql`: running a statement written once with `?` placeholders;
- `sqlite` and `postgres`: each engine's connecting, errors, migrating and transactions;
- the units of work by domain, each one job: `cohorts` (and the cohort dialogues),
  `participants` (and their responses and answers), `schedule` (windows, lifecycle
  events, deliveries, counts), `outbox` (posts and the bot's own messages), `privacy`;
- `reads` and `packed`: what the tools beside the bot read (report, export, import,
  cohorts), `packed` the analysis's bulk load;
- `leader`: one active bot per database; `copy`: a whole database into an empty one;
  `manage`: migrating, marking and emptying a database as a whole.
"""

from core.storage.database import check, open_database, prepare
from core.storage.errors import DatabaseUnavailable, is_database_error, unavailable
from core.storage.reads import (
    WindowOverrides,
    long_rows,
    respondents_in,
    stored_cohort_rows,
    window_overrides,
)
from core.storage.rows import (
    OutboxRow,
    ParticipantRow,
    PostContent,
    ResponseRow,
    StoredCohortRow,
    UnconfirmedSend,
    parse_utc,
    utc_text,
)
from core.storage.schema import MIGRATIONS, SCHEMA_VERSION
from core.storage.sqlite import migrate, prepare_file, read_mark, set_mark
from core.storage.target import Postgres, Target, TargetError, parse_target
from core.storage.unit import Database, Tx

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Database",
    "DatabaseUnavailable",
    "OutboxRow",
    "ParticipantRow",
    "PostContent",
    "Postgres",
    "ResponseRow",
    "StoredCohortRow",
    "Target",
    "TargetError",
    "Tx",
    "UnconfirmedSend",
    "WindowOverrides",
    "check",
    "is_database_error",
    "long_rows",
    "migrate",
    "open_database",
    "parse_target",
    "parse_utc",
    "prepare",
    "prepare_file",
    "read_mark",
    "respondents_in",
    "set_mark",
    "stored_cohort_rows",
    "unavailable",
    "utc_text",
    "window_overrides",
]
