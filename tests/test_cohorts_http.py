"""Cohorts made from the chat with `feedback-bot run` over HTTP on loopback: the dialogue,
the one-line form, the card's QR code, joining by its link, and a restart in between."""

from __future__ import annotations

import io
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.screens import cohorts as cohort_screens
from bot.screens import participant as screens
from http_kit import TOKEN, Watcher, bot_process, last_text, write_config
from sim.telegram.api import FakeTelegram
from sim.testing.http_server import BotApiServer

pytestmark = pytest.mark.e2e

ADMIN = 1
FACILITATOR = 2
PRE = ("Education", "Clinician", "3", "2", screens.SKIP, screens.SUBMIT)


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(FakeTelegram(TOKEN), hold_seconds=2) as srv:
        yield srv


def qr_texts(fake: FakeTelegram, user: int) -> list[str]:
    photo = next(m for m in reversed(fake.messages(user)) if m.get("photo"))
    data = fake.files[photo["photo"][-1]["file_id"]].data
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


async def test_cohorts_from_the_chat_over_http(tmp_path: Path, server: BotApiServer) -> None:
    fake = server.fake
    watch = Watcher(fake)
    config = write_config(tmp_path, server)
    config.write_text(
        config.read_text().replace("admins = [1]", f"admins = [1]\nfacilitators = [{FACILITATOR}]")
    )
    day = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    bot = bot_process(config)
    await bot.start()
    try:
        for user in (ADMIN, FACILITATOR, 3001, 3002):
            fake.user(user)

        async def say(user: int, text: str, expect: str) -> None:
            fake.send_text(user, text)
            await watch.until(lambda: expect in last_text(fake, user))

        async def tap(user: int, label: str, expect: str) -> None:
            fake.tap(user, fake.last_message(user)["message_id"], button_text=label)
            await watch.until(lambda: expect in last_text(fake, user))

        # The dialogue, with a restart in the middle of it.
        await say(ADMIN, "/newcohort", "which module")
        await tap(ADMIN, "Risk Support", "Type the site")
        await say(ADMIN, "Bradford", "When?")
        assert await bot.stop(signal.SIGTERM) == 0
        await bot.start()
        await say(ADMIN, f"{day} 09:30 16:30", "I suggest")
        code = fake.last_message(ADMIN)["reply_markup"]["inline_keyboard"][0][0]["text"][4:]
        await tap(ADMIN, f"Use {code}", "Create this cohort?")
        fake.tap(ADMIN, fake.last_message(ADMIN)["message_id"], button_text=cohort_screens.CREATE)
        await watch.until(lambda: any(m.get("document") for m in fake.messages(ADMIN)))
        link = f"https://t.me/{fake.bot_user['username']}?start={code}"
        assert qr_texts(fake, ADMIN) == [link]

        # The one-line form, by a facilitator, who then sees only their own.
        await say(FACILITATOR, f"/newcohort risk-support Hull {day} 10:00 12:00", "created")
        await say(FACILITATOR, "/cohorts", "Cohorts")
        assert "RS-HUL-" in last_text(fake, FACILITATOR) and code not in last_text(
            fake, FACILITATOR
        )
        await say(FACILITATOR, "/export RS-HTTP-1", "only for the programme team")

        # Participants join by the link (Telegram sends /start CODE) and answer.
        for user in (3001, 3002):
            await say(user, f"/start {code}", "Do you agree")
            await tap(user, screens.AGREE, "Question 1")
            for label in PRE:
                before = last_text(fake, user)
                fake.tap(user, fake.last_message(user)["message_id"], button_text=label)
                await watch.until(lambda b=before, u=user: last_text(fake, u) != b)
            assert "Thank you" in last_text(fake, user)
        assert await bot.stop(signal.SIGTERM) == 0
        await bot.start()
        await say(ADMIN, f"/editcohort {code} end 15:00", "changed")
        await say(ADMIN, "/status", "RS-HTTP-1")
        assert await bot.stop(signal.SIGTERM) == 0
    finally:
        if bot.proc is not None:
            bot.proc.kill()
            await bot.proc.wait()
