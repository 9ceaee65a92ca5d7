"""The bot's configuration: one TOML file turned into frozen dataclasses by `load_config`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.packaged import BUILTIN_PREFIX, builtin_questionnaire, builtin_questionnaires
from core.problems import ConfigError, Problem, read_toml
from core.questionnaire import Module, load_module
from core.secrets import TOKEN_ENV
from core.storage.target import Target, TargetError, parse_target

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_BASE_FILE_URL = "https://api.telegram.org/file/bot"

# Deep-link payloads allow [A-Za-z0-9_-]; codes are also typed by hand, so keep them short.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,19}$")
_DURATION_PART = re.compile(r"(\d+)\s*([wdhms])")
_DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class BotSettings:
    """How the bot reaches Telegram and who administers it."""

    api_base_url: str = DEFAULT_API_BASE_URL
    api_base_file_url: str = DEFAULT_API_BASE_FILE_URL
    admins: tuple[int, ...] = ()
    # Facilitators may create cohorts and run their own; they see nobody else's.
    facilitators: tuple[int, ...] = ()
    facilitators_chat: int | None = None
    error_chat: int | None = None
    # An SQLite file (a Path), or a PostgreSQL database (core.storage.target.Postgres).
    database: Target = Path("feedback.db")
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    privacy_contact: str = "the programme team"
    # How long `run` keeps retrying an unreachable Bot API at start-up before giving up.
    startup_timeout: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class AnalysisSettings:
    """What summaries may show."""

    min_cell_size: int = 3
    # Matched pairs an item needs for its interval, test and effect size.
    min_pairs_for_tests: int = 10
    show_comments: bool = True


@dataclass(frozen=True)
class ScheduleSettings:
    """When questionnaires open and close relative to a cohort's times."""

    pre_opens_before: timedelta = timedelta(days=14)
    post_open_for: timedelta = timedelta(days=7)
    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=72))
    daily_digest: time | None = None  # local time of a daily progress post, if wanted
    # Each module's report for the period just ended, posted to bot.facilitators_chat on
    # the first day of the next: one of MODULE_REPORT_PERIODS, or None (off).
    module_reports: str | None = None
    # The follow-up questionnaire (modules whose file has one): it opens this long after
    # the cohort ends, for this long, with reminders counted from when it opens.
    follow_up_after: timedelta = timedelta(weeks=8)
    follow_up_open_for: timedelta = timedelta(days=14)
    # None: the post questionnaire's `reminders`, those that fall before it closes.
    follow_up_reminders: tuple[timedelta, ...] | None = None

    def follow_up_reminder_delays(self) -> tuple[timedelta, ...]:
        """When the follow-up's reminders go, counted from when it opens."""
        if self.follow_up_reminders is not None:
            return self.follow_up_reminders
        return tuple(d for d in self.reminders if d < self.follow_up_open_for)


MODULE_REPORT_PERIODS = ("monthly", "quarterly", "yearly")


@dataclass(frozen=True)
class PrivacySettings:
    """How long answers are kept."""

    retain_days: int = 0  # 0: keep until erased by hand


@dataclass(frozen=True)
class Cohort:
    """One delivery of a module at a site, joined with a short code."""

    code: str
    module: str
    site: str
    start: datetime
    end: datetime
    facilitators_chat: int | None = None
    facilitators: tuple[int, ...] = ()  # user ids of the facilitators who run it


@dataclass(frozen=True)
class Config:
    """Everything the bot and the command line need, validated."""

    path: Path
    bot: BotSettings
    analysis: AnalysisSettings
    schedule: ScheduleSettings
    modules: dict[str, Module]
    cohorts: dict[str, Cohort]
    privacy: PrivacySettings = PrivacySettings()

    def cohort(self, code: str) -> Cohort | None:
        """Find a cohort by its code, ignoring case as people type codes by hand."""
        return self.cohorts.get(code.strip().upper())

    def module_of(self, cohort: Cohort) -> Module:
        return self.modules[cohort.module]


def parse_duration(text: str) -> timedelta | None:
    """Parse '8w', '7d', '24h', '90m', '1d12h' or '30s'; None if it is not such a duration."""
    cleaned = text.strip().lower()
    if not cleaned or _DURATION_PART.sub("", cleaned).strip():
        return None
    seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(cleaned))
    return timedelta(seconds=seconds)


def load_config(path: Path | str) -> Config:
    """Read the config file and every questionnaire it names; raise ConfigError listing problems."""
    path = Path(path)
    return _Reader(path, read_toml(path, "config file")).config()


class _Reader:
    """Walks the raw TOML, collecting every problem instead of stopping at the first."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw
        self.problems: list[Problem] = []
        # Module ids written in [[modules]], loaded or not: a cohort naming one whose
        # questionnaire is broken is not a second problem (the first is reported already).
        self.declared_modules: set[str] = set()
        self.modules_unreadable = False

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, key, message))

    def table(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict):
            self.problem(key, f"expected a [{key}] table")
            return {}
        return value

    def unknown_keys(self, prefix: str, table: dict[str, Any], known: set[str]) -> None:
        for name in table:
            if name not in known:
                self.problem(f"{prefix}.{name}", f"unknown key (expected one of {sorted(known)})")

    def config(self) -> Config:
        self.unknown_keys(
            "(top level)",
            self.raw,
            {"bot", "analysis", "schedule", "privacy", "modules", "cohorts"},
        )
        bot = self.bot_settings()
        analysis = self.analysis_settings()
        schedule = self.schedule_settings()
        if schedule.module_reports and bot.facilitators_chat is None:
            self.problem(
                "schedule.module_reports",
                "the module reports go to bot.facilitators_chat, which is not set: set it, "
                'or set module_reports = "off"',
            )
        modules = self.modules()
        cohorts = self.cohorts(modules, bot.timezone, bot.facilitators)
        privacy = self.privacy_settings()
        self.retention_outlasts_follow_up(privacy, schedule, modules)
        if self.problems:
            raise ConfigError(self.problems)
        return Config(self.path, bot, analysis, schedule, modules, cohorts, privacy)

    def retention_outlasts_follow_up(
        self, privacy: PrivacySettings, schedule: ScheduleSettings, modules: dict[str, Module]
    ) -> None:
        """Answers must be kept until a follow-up has closed, or it would be erased half-way
        (and its summary compare nothing)."""
        if privacy.retain_days <= 0 or not any(m.follow_up for m in modules.values()):
            return
        needed = schedule.follow_up_after + schedule.follow_up_open_for
        if timedelta(days=privacy.retain_days) < needed:
            days = -(-needed // timedelta(days=1))
            self.problem(
                "privacy.retain_days",
                f"must be at least {days} (schedule.follow_up_after + follow_up_open_for): "
                "answers would be erased before the follow-up closes (or use questionnaires "
                "without a [follow_up])",
            )

    def privacy_settings(self) -> PrivacySettings:
        t = self.table("privacy")
        self.unknown_keys("privacy", t, {"retain_days"})
        days = t.get("retain_days", 0)
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 36500:
            self.problem("privacy.retain_days", "expected a whole number of days (0: keep)")
            days = 0
        return PrivacySettings(retain_days=days)

    def bot_settings(self) -> BotSettings:
        t = self.table("bot")
        known = {
            "api_base_url",
            "api_base_file_url",
            "admins",
            "facilitators",
            "facilitators_chat",
            "error_chat",
            "database",
            "timezone",
            "privacy_contact",
            "token",
            "startup_timeout",
        }
        self.unknown_keys("bot", t, known)
        if "token" in t:
            self.problem(
                "bot.token",
                f"the bot token must not be stored in the file; set the {TOKEN_ENV} "
                "environment variable instead",
            )
        urls = {}
        for name, default in (
            ("api_base_url", DEFAULT_API_BASE_URL),
            ("api_base_file_url", DEFAULT_API_BASE_FILE_URL),
        ):
            value = t.get(name, default)
            if not isinstance(value, str) or not re.match(r"^https?://[^\s]+$", value):
                self.problem(f"bot.{name}", "expected an http(s) URL such as " + default)
                value = default
            urls[name] = value
        admins = self.user_ids("bot.admins", t.get("admins", []))
        staff = self.user_ids("bot.facilitators", t.get("facilitators", []))
        facilitators = self.chat_id("bot.facilitators_chat", t.get("facilitators_chat"))
        error_chat = self.chat_id("bot.error_chat", t.get("error_chat"))
        database = t.get("database", "feedback.db")
        db_path: Target = (self.path.parent / "feedback.db").resolve()
        if not isinstance(database, str):
            self.problem("bot.database", "expected a file path for SQLite, or a postgresql:// URL")
        else:
            try:
                db_path = parse_target(database, self.path.parent)
            except TargetError as exc:
                self.problem("bot.database", str(exc))
        tz_name = t.get("timezone", "UTC")
        try:
            tz = ZoneInfo(tz_name) if isinstance(tz_name, str) else None
        except (ZoneInfoNotFoundError, ValueError):
            tz = None
        if tz is None:
            self.problem("bot.timezone", "expected an IANA time zone name such as 'Europe/London'")
            tz = ZoneInfo("UTC")
        contact = t.get("privacy_contact", "the programme team")
        if not isinstance(contact, str) or not contact.strip():
            self.problem("bot.privacy_contact", "expected who participants can contact, as text")
            contact = "the programme team"
        startup_timeout = timedelta(minutes=5)
        if "startup_timeout" in t:
            startup_timeout = self.duration(
                "bot.startup_timeout", t["startup_timeout"], startup_timeout
            )
        return BotSettings(
            startup_timeout=startup_timeout,
            api_base_url=urls["api_base_url"],
            api_base_file_url=urls["api_base_file_url"],
            admins=admins,
            facilitators=staff,
            facilitators_chat=facilitators,
            error_chat=error_chat,
            database=db_path,
            timezone=tz,
            privacy_contact=contact.strip(),
        )

    def user_ids(self, key: str, value: Any) -> tuple[int, ...]:
        if isinstance(value, list) and all(
            isinstance(a, int) and not isinstance(a, bool) and a > 0 for a in value
        ):
            return tuple(value)
        self.problem(key, "expected a list of Telegram user ids (positive numbers)")
        return ()

    def chat_id(self, key: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value != 0:
            return value
        self.problem(key, "expected a Telegram chat id, e.g. -1001234567890 for a channel")
        return None

    def analysis_settings(self) -> AnalysisSettings:
        t = self.table("analysis")
        self.unknown_keys("analysis", t, {"min_cell_size", "min_pairs_for_tests", "show_comments"})
        size = t.get("min_cell_size", 3)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100:
            self.problem("analysis.min_cell_size", "expected a whole number from 1 to 100")
            size = 3
        pairs = t.get("min_pairs_for_tests", 10)
        if not isinstance(pairs, int) or isinstance(pairs, bool) or pairs < 2:
            self.problem("analysis.min_pairs_for_tests", "expected a whole number, 2 or more")
            pairs = 10
        comments = t.get("show_comments", True)
        if not isinstance(comments, bool):
            self.problem("analysis.show_comments", "expected true or false")
            comments = True
        return AnalysisSettings(
            min_cell_size=size, min_pairs_for_tests=pairs, show_comments=comments
        )

    def duration(self, key: str, value: Any, default: timedelta) -> timedelta:
        parsed = parse_duration(value) if isinstance(value, str) else None
        if parsed is None:
            self.problem(key, "expected a duration such as '8w', '7d', '24h', '30m' or '1d12h'")
            return default
        return parsed

    def schedule_settings(self) -> ScheduleSettings:
        t = self.table("schedule")
        self.unknown_keys(
            "schedule",
            t,
            {
                "pre_opens_before",
                "post_open_for",
                "reminders",
                "daily_digest",
                "follow_up_after",
                "follow_up_open_for",
                "follow_up_reminders",
                "module_reports",
            },
        )
        defaults = ScheduleSettings()
        pre = self.duration(
            "schedule.pre_opens_before", t.get("pre_opens_before", "14d"), defaults.pre_opens_before
        )
        problems_before = len(self.problems)
        post = self.duration(
            "schedule.post_open_for", t.get("post_open_for", "7d"), defaults.post_open_for
        )
        if post <= timedelta(0):
            self.problem("schedule.post_open_for", "must be longer than zero")
        raw_reminders = t.get("reminders", ["24h", "72h"])
        reminders: list[timedelta] = []
        # Reminders are checked against post_open_for only if it is valid itself.
        post_valid = len(self.problems) == problems_before
        if not isinstance(raw_reminders, list) or len(raw_reminders) > 2:
            self.problem("schedule.reminders", "expected a list of at most two durations")
        else:
            for i, item in enumerate(raw_reminders):
                delay = self.duration(f"schedule.reminders[{i}]", item, timedelta(hours=24))
                if post_valid and delay >= post:
                    self.problem(
                        f"schedule.reminders[{i}]",
                        "must fall before the post questionnaire closes (post_open_for)",
                    )
                reminders.append(delay)
        digest_raw = t.get("daily_digest")
        digest: time | None = None
        if digest_raw is not None:
            match = re.match(r"^([01]?\d|2[0-3]):([0-5]\d)$", str(digest_raw).strip())
            if not isinstance(digest_raw, str) or match is None:
                self.problem("schedule.daily_digest", "expected a local time such as '18:00'")
            else:
                digest = time(int(match[1]), int(match[2]))
        after, open_for, follow_up_reminders = self.follow_up_schedule(
            t, defaults, post if post_valid else None
        )
        module_reports = t.get("module_reports", "off")
        if module_reports not in (*MODULE_REPORT_PERIODS, "off"):
            choices = ", ".join(f'"{p}"' for p in MODULE_REPORT_PERIODS)
            self.problem(
                "schedule.module_reports", f'expected {choices} or "off" (the default), as text'
            )
        reports = module_reports if module_reports in MODULE_REPORT_PERIODS else None
        return ScheduleSettings(
            pre,
            post,
            tuple(sorted(reminders)),
            digest,
            module_reports=reports,
            follow_up_after=after,
            follow_up_open_for=open_for,
            follow_up_reminders=follow_up_reminders,
        )

    def follow_up_schedule(
        self, t: dict[str, Any], defaults: ScheduleSettings, post: timedelta | None
    ) -> tuple[timedelta, timedelta, tuple[timedelta, ...] | None]:
        """When the follow-up opens after the cohort ends, how long it stays open, and its
        reminders (None: those of the post questionnaire that fall while it is open)."""
        before = len(self.problems)
        after = self.duration(
            "schedule.follow_up_after", t.get("follow_up_after", "8w"), defaults.follow_up_after
        )
        if len(self.problems) == before and post is not None and after < post:
            self.problem(
                "schedule.follow_up_after",
                "must be at least post_open_for: the follow-up opens after the post-module "
                "questionnaire has closed",
            )
        before = len(self.problems)
        open_for = self.duration(
            "schedule.follow_up_open_for",
            t.get("follow_up_open_for", "14d"),
            defaults.follow_up_open_for,
        )
        if len(self.problems) == before and open_for <= timedelta(0):
            self.problem("schedule.follow_up_open_for", "must be longer than zero")
        open_for_valid = len(self.problems) == before
        raw = t.get("follow_up_reminders")
        if raw is None:
            return after, open_for, None
        if not isinstance(raw, list) or len(raw) > 2:
            self.problem("schedule.follow_up_reminders", "expected a list of at most two durations")
            return after, open_for, None
        delays = []
        for i, item in enumerate(raw):
            key = f"schedule.follow_up_reminders[{i}]"
            delay = self.duration(key, item, timedelta(days=3))
            if open_for_valid and delay >= open_for:
                self.problem(
                    key, "must fall before the follow-up questionnaire closes (follow_up_open_for)"
                )
            delays.append(delay)
        return after, open_for, tuple(sorted(delays))

    def modules(self) -> dict[str, Module]:
        items = self.raw.get("modules", [])
        modules: dict[str, Module] = {}
        if not isinstance(items, list) or not items:
            self.problem("modules", "expected at least one [[modules]] entry")
            self.modules_unreadable = True
            return modules
        # A questionnaire file shared by modules is reported once, however many name it.
        broken_files: set[Path | Traversable] = set()
        for index, item in enumerate(items):
            key = f"modules[{index}]"
            if not isinstance(item, dict):
                self.problem(key, "expected a table")
                continue
            self.unknown_keys(key, item, {"id", "title", "questionnaire"})
            module_id = item.get("id")
            if isinstance(module_id, str):
                self.declared_modules.add(module_id)
            if not isinstance(module_id, str) or not re.match(
                r"^[a-z0-9][a-z0-9-]{0,39}$", module_id
            ):
                self.problem(f"{key}.id", "expected a short id of lower-case letters, digits and -")
                continue
            if module_id in modules:
                self.problem(f"{key}.id", f"duplicate module id {module_id!r}")
                continue
            title = item.get("title", "")
            if not isinstance(title, str):
                self.problem(f"{key}.title", "expected text")
                title = ""
            qfile = item.get("questionnaire")
            if not isinstance(qfile, str) or not qfile.strip():
                self.problem(f"{key}.questionnaire", "expected the path of the questionnaire file")
                continue
            qpath = self.questionnaire_file(f"{key} ({module_id}).questionnaire", qfile.strip())
            if qpath is None or qpath in broken_files:
                continue
            if isinstance(qpath, Path) and not qpath.is_file():
                # Reported where the mistake is: the key that names the file.
                what = "is a folder, not a file" if qpath.is_dir() else "not found"
                self.problem(
                    f"{key} ({module_id}).questionnaire", f"questionnaire file {what}: {qpath}"
                )
                broken_files.add(qpath)
                continue
            try:
                modules[module_id] = load_module(module_id, title, qpath)
            except ConfigError as exc:
                self.problems.extend(exc.problems)
                broken_files.add(qpath)
        return modules

    def questionnaire_file(self, key: str, name: str) -> Path | Traversable | None:
        """`builtin:NAME` is a questionnaire shipped with the bot; any other path is relative
        to the config file's folder, never to the current directory."""
        if name.startswith(BUILTIN_PREFIX):
            builtin = name.removeprefix(BUILTIN_PREFIX)
            found = builtin_questionnaire(builtin)
            if found is None:
                names = ", ".join(BUILTIN_PREFIX + n for n in builtin_questionnaires())
                self.problem(key, f"no built-in questionnaire {builtin!r} (built in: {names})")
            return found
        qpath = Path(name).expanduser()
        return qpath if qpath.is_absolute() else (self.path.parent / qpath).resolve()

    def cohorts(
        self, modules: dict[str, Module], tz: ZoneInfo, facilitators: tuple[int, ...]
    ) -> dict[str, Cohort]:
        items = self.raw.get("cohorts", [])
        cohorts: dict[str, Cohort] = {}
        if not isinstance(items, list):
            self.problem("cohorts", "expected [[cohorts]] entries")
            return cohorts
        for index, item in enumerate(items):
            key = f"cohorts[{index}]"
            if not isinstance(item, dict):
                self.problem(key, "expected a table")
                continue
            known = {"code", "module", "site", "start", "end", "facilitators_chat", "facilitators"}
            self.unknown_keys(key, item, known)
            code = item.get("code")
            if not isinstance(code, str) or not CODE_PATTERN.match(code):
                self.problem(
                    f"{key}.code",
                    "expected a join code of 2–20 letters, digits and '-', such as 'RS-LDN-0314'",
                )
                continue
            code = code.upper()
            key = f"{key} ({code})"
            if code in cohorts:
                self.problem(f"{key}.code", f"duplicate cohort code {code!r}")
                continue
            # The cohort's other keys are checked even when its module is unusable, so
            # that every problem of the file shows in one run.
            module = item.get("module")
            usable = isinstance(module, str) and module in modules
            if not isinstance(module, str) or not module:
                self.problem(f"{key}.module", "expected the id of a module")
            elif not usable and not (module in self.declared_modules or self.modules_unreadable):
                self.problem(f"{key}.module", f"no module with id {module!r} in [[modules]]")
            site = item.get("site", "")
            if not isinstance(site, str) or not site.strip():
                self.problem(f"{key}.site", "expected the site's name")
                site = None
            start = self.moment(f"{key}.start", item.get("start"), tz)
            end = self.moment(f"{key}.end", item.get("end"), tz)
            if start is not None and end is not None and end <= start:
                self.problem(f"{key}.end", "must be after start")
                end = None
            chat = self.chat_id(f"{key}.facilitators_chat", item.get("facilitators_chat"))
            staff = self.user_ids(f"{key}.facilitators", item.get("facilitators", []))
            if set(staff) - set(facilitators):
                self.problem(f"{key}.facilitators", "every id must also be in bot.facilitators")
            if usable and site is not None and start is not None and end is not None:
                assert isinstance(module, str)
                cohorts[code] = Cohort(code, module, site.strip(), start, end, chat, staff)
        return cohorts

    def moment(self, key: str, value: Any, tz: ZoneInfo) -> datetime | None:
        """A TOML date-time; one without an offset is read in the configured time zone."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=tz) if value.tzinfo is None else value
        if isinstance(value, date):
            return datetime.combine(value, time(0, 0), tz)
        self.problem(key, "expected a date-time such as 2026-03-14T09:30:00 (no quotes)")
        return None


def bot_token() -> str | None:
    """The bot token, from the environment only."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None
