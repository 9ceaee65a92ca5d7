"""Tests for the simulated Telegram Bot API (bot.sim), driven through real PTB objects."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from bot.sim import FakeTelegram, SimulatedRequest, SimulatedTimeout
from bot.sim.telegram import parse_html
from sim_server import BotApiServer

TOKEN = "123456:TEST"
USER = 42
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="ans:yes"),
            InlineKeyboardButton("No", callback_data="ans:no"),
        ]
    ]
)


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under this project's filterwarnings) whenever RetryAfter.retry_after
    # is read as an int; opting in to the future timedelta behaviour avoids that.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def _until(condition: Callable[[], bool], spins: int = 10_000) -> None:
    """Yield to the event loop until ``condition`` holds; bounded, and never sleeps for time."""
    for _ in range(spins):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


@pytest.fixture
def fake() -> FakeTelegram:
    tg = FakeTelegram(TOKEN)
    tg.user(USER, first_name="Ada", username="ada")
    return tg


def sim_bot(fake: FakeTelegram) -> Bot:
    return Bot(TOKEN, request=SimulatedRequest(fake), get_updates_request=SimulatedRequest(fake))


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with sim_bot(fake) as started:
        yield started


@pytest_asyncio.fixture
async def server(fake: FakeTelegram) -> AsyncIterator[BotApiServer]:
    async with BotApiServer(fake, hold_seconds=5) as running:
        yield running


# --------------------------------------------------------------------------- in-process


@pytest.mark.asyncio
async def test_get_me_identifies_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "feedback_test_bot", True)


@pytest.mark.asyncio
async def test_send_message_stores_parsed_html_and_keyboard(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(
        USER, "<b>Hi</b> &amp; welcome", parse_mode="HTML", reply_markup=KEYBOARD
    )

    assert sent.text == "Hi & welcome"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 2)]
    shown = fake.last_message(USER)
    assert shown["message_id"] == sent.message_id
    assert fake.buttons(shown) == [["Yes", "No"]]
    assert fake.button_data(shown) == {"Yes": "ans:yes", "No": "ans:no"}
    assert fake.calls_of("sendmessage")[0]["chat_id"] == USER


@pytest.mark.asyncio
async def test_message_ids_are_per_chat_and_shared_with_the_user(
    bot: Bot, fake: FakeTelegram
) -> None:
    fake.send_text(USER, "/start")  # message 1 in the private chat
    first = await bot.send_message(USER, "one")
    fake.user(7)
    other = await bot.send_message(7, "other chat")
    assert (first.message_id, other.message_id) == (2, 1)
    assert [m["text"] for m in fake.messages(USER, include_user=True)] == ["/start", "one"]


@pytest.mark.asyncio
async def test_unknown_and_blocked_chats_fail_like_telegram(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello?")
    fake.block(USER)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(USER, "hello?")


@pytest.mark.asyncio
async def test_edit_message_text_and_not_modified(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Question?", reply_markup=KEYBOARD)
    await bot.edit_message_text(
        "Answered", chat_id=USER, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert fake.last_message(USER)["text"] == "Answered"

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "Answered", chat_id=USER, message_id=sent.message_id, reply_markup=KEYBOARD
        )

    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    await bot.edit_message_text("Done", chat_id=USER, message_id=sent.message_id)
    assert fake.buttons(fake.last_message(USER)) == []
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)


@pytest.mark.asyncio
async def test_edit_reply_markup_and_delete(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Pick", reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)
    assert fake.buttons(fake.last_message(USER)) == []
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)

    assert await bot.delete_message(USER, sent.message_id)
    assert fake.messages(USER) == []
    assert fake.deleted_messages(USER)[0]["text"] == "Pick"
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


@pytest.mark.asyncio
async def test_tap_creates_a_parseable_callback_query(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Pick", reply_markup=KEYBOARD)

    raw = fake.tap(USER, sent.message_id, "No")
    update = Update.de_json(raw, bot)

    query = update.callback_query
    assert query is not None and query.data == "ans:no"
    assert query.from_user.id == USER
    assert query.message is not None and query.message.message_id == sent.message_id
    assert fake.pending_updates() == [raw]
    assert Update.de_json(fake.tap(USER, sent.message_id, data="ans:yes"), bot).callback_query


@pytest.mark.asyncio
async def test_answer_callback_query_only_once(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Pick", reply_markup=KEYBOARD)
    query_id = fake.tap(USER, sent.message_id, "Yes")["callback_query"]["id"]

    assert await bot.answer_callback_query(query_id, text="Saved", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    assert fake.callback_answers == [
        {
            "callback_query_id": query_id,
            "text": "Saved",
            "show_alert": True,
            "url": None,
            "cache_time": None,
        }
    ]


@pytest.mark.asyncio
async def test_tap_on_missing_button_lists_the_available_ones(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Pick", reply_markup=KEYBOARD)
    with pytest.raises(AssertionError, match=r"available .*'Yes', 'ans:yes'"):
        fake.tap(USER, sent.message_id, "Maybe")
    forged = fake.forge_tap(USER, sent.message_id, "ans:../../etc")
    assert forged["callback_query"]["data"] == "ans:../../etc"


@pytest.mark.asyncio
async def test_user_messages_have_command_entities_and_media(bot: Bot, fake: FakeTelegram) -> None:
    command = Update.de_json(fake.send_text(USER, "/start payload"), bot).message
    assert command is not None and command.parse_entities() and command.text == "/start payload"
    assert command.entities[0].length == len("/start")

    for raw in (fake.send_sticker(USER), fake.send_photo(USER), fake.send_voice(USER)):
        assert Update.de_json(raw, bot).effective_message is not None
    doc = Update.de_json(fake.send_document(USER, "a.csv", b"x,y\n1,2\n"), bot).message
    assert doc is not None and doc.document is not None
    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"x,y\n1,2\n"

    edited = Update.de_json(fake.edit_text(USER, command.message_id, "/help"), bot)
    assert edited.edited_message is not None and edited.edited_message.text == "/help"


def test_group_and_channel_chat_types(fake: FakeTelegram) -> None:
    group = fake.send_text(USER, "hi", chat_id=-100)["message"]["chat"]
    supergroup = fake.send_text(USER, "hi", chat_id=-1001234567890)["message"]["chat"]
    post = fake.channel_post(-1009999999999, "news")["channel_post"]
    assert (group["type"], supergroup["type"], post["chat"]["type"]) == (
        "group",
        "supergroup",
        "channel",
    )
    assert "from" not in post


@pytest.mark.asyncio
async def test_long_poll_returns_update_queued_by_another_task(
    bot: Bot, fake: FakeTelegram
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await _until(lambda: fake.is_long_polling)
    fake.send_text(USER, "hello")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates if u.message] == ["hello"]


@pytest.mark.asyncio
async def test_offset_confirms_and_duplicate_redelivers(bot: Bot, fake: FakeTelegram) -> None:
    first = fake.send_text(USER, "a")
    fake.send_text(USER, "b")
    assert len(await bot.get_updates()) == 2
    remaining = await bot.get_updates(offset=first["update_id"] + 1)
    assert [u.message.text for u in remaining if u.message] == ["b"]

    fake.duplicate(first)
    again = await bot.get_updates(offset=remaining[-1].update_id + 1)
    assert [u.update_id for u in again] == [first["update_id"]]
    assert await bot.get_updates(offset=remaining[-1].update_id + 1) == ()
    assert fake.drain_updates() == []


@pytest.mark.asyncio
async def test_send_photo_document_and_media_group_with_bytes(bot: Bot, fake: FakeTelegram) -> None:
    photo = await bot.send_photo(
        USER, PNG, caption="<i>chart</i>", parse_mode="HTML", filename="c.png"
    )
    document = await bot.send_document(USER, b"a,b\n", filename="report.csv")
    group = await bot.send_media_group(
        USER, [InputMediaPhoto(PNG, filename=f"{i}.png") for i in range(3)]
    )

    assert photo.caption == "chart" and photo.photo
    stored = fake.files[photo.photo[-1].file_id]
    assert (stored.filename, stored.size) == ("c.png", len(PNG))
    assert document.document is not None and document.document.file_name == "report.csv"
    assert len({m.media_group_id for m in group}) == 1 and len(group) == 3
    assert len(fake.messages(USER)) == 5
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_photo(USER, PNG, caption="x" * 1025)
    with pytest.raises(BadRequest):
        await bot.send_media_group(USER, [InputMediaPhoto(PNG)])


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "text",
    ["<b>unclosed", "a < b", "fish & chips", "<div>x</div>", "<b><i>x</b></i>", "x</b>"],
)
async def test_html_parse_errors_are_bad_requests(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, text, parse_mode="HTML")


@pytest.mark.asyncio
async def test_text_limits_count_text_after_formatting(bot: Bot) -> None:
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match="empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=too_long)
    with pytest.raises(BadRequest, match="reserved"):
        await bot.send_message(USER, "Thanks!", parse_mode="MarkdownV2")


def test_parse_html_entities_and_nesting() -> None:
    text, entities = parse_html(
        '<b>a<i>b</i></b> <a href="https://x.y">l</a> <pre><code class="language-py">c</code></pre>'
    )
    assert text == "ab l c"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "text_link", "offset": 3, "length": 1, "url": "https://x.y"},
        {"type": "pre", "offset": 5, "length": 1, "language": "py"},
    ]


@pytest.mark.asyncio
async def test_commands_are_stored_per_scope(bot: Bot, fake: FakeTelegram) -> None:
    await bot.set_my_commands([("start", "Begin"), ("help", "Help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    await bot.send_chat_action(USER, "typing")
    assert (await bot.get_chat(USER)).username == "ada"
    assert (await bot.get_chat_member(USER, USER)).status == "member"


@pytest.mark.asyncio
async def test_reply_keyboard_caption_edit_copy_and_forward(bot: Bot, fake: FakeTelegram) -> None:
    await bot.send_message(USER, "Choose", reply_markup=ReplyKeyboardMarkup([["A", "B"]]))
    assert fake.reply_keyboard(USER) == [["A", "B"]]
    photo = await bot.send_photo(USER, PNG, caption="old")
    await bot.edit_message_caption(USER, photo.message_id, caption="<b>new</b>", parse_mode="HTML")
    assert fake.last_message(USER)["caption"] == "new"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_caption(
            USER, photo.message_id, caption="<b>new</b>", parse_mode="HTML"
        )
    await bot.send_message(USER, "Bye", reply_markup=ReplyKeyboardRemove())
    assert fake.reply_keyboard(USER) is None

    fake.send_text(USER, "-100 group", chat_id=-100)
    user_msg = fake.messages(-100, include_user=True)[0]
    copied = await bot.copy_message(-100, USER, photo.message_id, caption="copy")
    forwarded = await bot.forward_message(-100, -100, user_msg["message_id"])
    assert fake.messages(-100)[0]["message_id"] == copied.message_id
    assert fake.messages(-100)[0]["caption"] == "copy"
    assert forwarded.forward_origin is not None and forwarded.text == "-100 group"


@pytest.mark.asyncio
async def test_second_long_poll_conflicts_and_webhook_blocks_polling(
    bot: Bot, fake: FakeTelegram
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await _until(lambda: fake.is_long_polling)
    assert await bot.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first
    await bot.set_webhook("https://example.invalid/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)


@pytest.mark.asyncio
async def test_callback_queries_expire_on_the_injected_clock() -> None:
    now = [0.0]
    fake = FakeTelegram(TOKEN, clock=lambda: now[0])
    fake.user(USER)
    async with sim_bot(fake) as bot:
        sent = await bot.send_message(USER, "Pick", reply_markup=KEYBOARD)
        query_id = fake.tap(USER, sent.message_id, "Yes")["callback_query"]["id"]
        now[0] += 60
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query_id)


def test_server_runs_as_a_standalone_process() -> None:
    server = Path(__file__).resolve().parent / "sim_server.py"
    command = [sys.executable, str(server), "--port", "0", "--token", "123:ABC"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            base_url = proc.stdout.readline().strip()
            me = httpx.post(f"{base_url}123:ABC/getMe", timeout=5).json()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)
    assert base_url.startswith("http://127.0.0.1:")
    assert me["result"]["id"] == 123
    assert proc.returncode == 0


# --------------------------------------------------------------------------- faults and limits


@pytest.mark.asyncio
async def test_flood_fault_raises_retry_after(bot: Bot, fake: FakeTelegram) -> None:
    fake.inject_fault("sendMessage", "flood", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.retry_after == dt.timedelta(seconds=3)
    await bot.send_message(USER, "x")  # the fault was consumed


@pytest.mark.asyncio
async def test_timeout_faults_before_and_after_delivery(bot: Bot, fake: FakeTelegram) -> None:
    fake.inject_fault("sendMessage", "timeout")
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "lost")
    assert fake.messages(USER) == []

    fake.inject_fault("sendMessage", "timeout_after_delivery")
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "delivered")
    assert [m["text"] for m in fake.messages(USER)] == ["delivered"]
    assert len(fake.calls_of("sendMessage")) == 2


@pytest.mark.asyncio
async def test_server_errors_and_wildcard_skips_get_updates(bot: Bot, fake: FakeTelegram) -> None:
    fake.inject_fault("*", "server_error")
    fake.inject_fault("*", "bad_gateway")
    assert await bot.get_updates() == ()  # not consumed by polling
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "x")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_chat_action(USER, "typing")
    with pytest.raises(SimulatedTimeout):
        fake.inject_fault("getMe", "timeout")
        await fake.call("getme", {})


@pytest.mark.asyncio
async def test_enforced_limits_use_the_injected_clock() -> None:
    now = [100.0]
    fake = FakeTelegram(TOKEN, enforce_limits=True, clock=lambda: now[0])
    fake.user(USER)
    async with sim_bot(fake) as bot:
        for _ in range(3):  # the burst allowance
            await bot.send_message(USER, "x")
        with pytest.raises(RetryAfter):
            await bot.send_message(USER, "x")
        now[0] += 1.0
        await bot.send_message(USER, "x")
    assert fake.flood_count == 1


@pytest.mark.asyncio
async def test_raw_call_decodes_string_params_and_reports_unknown_methods(
    fake: FakeTelegram,
) -> None:
    status, body = await fake.call(
        "SENDMESSAGE",
        {"chat_id": str(USER), "text": "42", "reply_markup": KEYBOARD.to_json()},
    )
    assert status == 200 and body["result"]["text"] == "42"
    assert fake.buttons(body["result"]) == [["Yes", "No"]]
    assert await fake.call("noSuchMethod", {}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


# --------------------------------------------------------------------------- a full Application


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Ready?", reply_markup=KEYBOARD)


def _build_app(fake: FakeTelegram, answered: asyncio.Event) -> Application:
    async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Thanks")
        await query.edit_message_text(f"You chose {query.data}")
        answered.set()

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(SimulatedRequest(fake))
        .get_updates_request(SimulatedRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(on_tap))
    return app


@pytest.mark.asyncio
async def test_application_polls_and_handles_a_conversation(fake: FakeTelegram) -> None:
    answered = asyncio.Event()
    app = _build_app(fake, answered)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        fake.send_text(USER, "/start")
        await _until(lambda: bool(fake.messages(USER)))
        fake.tap(USER, fake.last_message(USER)["message_id"], "Yes")
        await asyncio.wait_for(answered.wait(), 5)
        await app.updater.stop()
        await app.stop()
    assert fake.last_message(USER)["text"] == "You chose ans:yes"
    assert fake.callback_answers[0]["text"] == "Thanks"
    assert fake.pending_updates() == []


@pytest.mark.asyncio
async def test_application_process_update_with_drained_updates(fake: FakeTelegram) -> None:
    app = _build_app(fake, asyncio.Event())
    async with app:
        fake.send_text(USER, "/start")
        for raw in fake.drain_updates():
            await app.process_update(Update.de_json(raw, app.bot))
    assert fake.buttons(fake.last_message(USER)) == [["Yes", "No"]]


# --------------------------------------------------------------------------- over HTTP


@pytest.mark.asyncio
async def test_http_bot_sends_keyboard_photo_and_receives_updates(
    server: BotApiServer, fake: FakeTelegram
) -> None:
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as bot:
        sent = await bot.send_message(USER, "<b>Rate</b>", parse_mode="HTML", reply_markup=KEYBOARD)
        photo = await bot.send_photo(USER, PNG, caption="chart", filename="chart.png")
        async with httpx.AsyncClient(base_url=server.root_url) as control:
            reply = await control.post("/_sim/send_text", json={"user_id": USER, "text": "hi"})
            assert reply.json()["ok"]
            tapped = await control.post(
                "/_sim/tap",
                json={"user_id": USER, "message_id": sent.message_id, "button_text": "No"},
            )
            missing = await control.post(
                "/_sim/tap",
                json={"user_id": USER, "message_id": sent.message_id, "button_text": "?"},
            )
            shown = (await control.get("/_sim/messages", params={"chat_id": USER})).json()
            calls = (await control.get("/_sim/calls", params={"method": "sendPhoto"})).json()
        updates = await bot.get_updates(timeout=1)
        file = await bot.get_file(photo.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == PNG

    assert sent.text == "Rate" and fake.buttons(fake.messages(USER)[0]) == [["Yes", "No"]]
    assert fake.files[photo.photo[-1].file_id].filename == "chart.png"
    assert tapped.json()["result"]["callback_query"]["data"] == "ans:no"
    assert missing.status_code == 400 and "available" in missing.json()["description"]
    assert [m["message_id"] for m in shown["result"]] == [sent.message_id, photo.message_id]
    assert len(calls["result"]) == 1
    assert updates[0].message is not None and updates[0].message.text == "hi"
    assert updates[1].callback_query is not None


@pytest.mark.asyncio
async def test_http_accepts_json_form_and_query_parameters(server: BotApiServer) -> None:
    async with httpx.AsyncClient(base_url=f"{server.base_url}{TOKEN}") as client:
        as_json = await client.post("/sendMessage", json={"chat_id": USER, "text": "json"})
        as_form = await client.post("/sendMessage", data={"chat_id": str(USER), "text": "form"})
        as_query = await client.get("/sendMessage", params={"chat_id": USER, "text": "query"})
        bad_token = await client.post(f"{server.base_url}1:WRONG/getMe")
    assert [r.json()["result"]["text"] for r in (as_json, as_form, as_query)] == [
        "json",
        "form",
        "query",
    ]
    assert bad_token.status_code == 401 and bad_token.json()["description"] == "Unauthorized"


@pytest.mark.asyncio
async def test_http_faults_reach_the_client(server: BotApiServer, fake: FakeTelegram) -> None:
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=server.base_url, request=request) as bot:
        with pytest.raises(InvalidToken):
            async with Bot("1:WRONG", base_url=server.base_url):
                pass
        async with httpx.AsyncClient(base_url=server.root_url) as control:
            await control.post(
                "/_sim/fault", json={"method": "sendMessage", "kind": "flood", "retry_after": 2}
            )
            await control.post("/_sim/fault", json={"method": "sendMessage", "kind": "timeout"})
        with pytest.raises(RetryAfter):
            await bot.send_message(USER, "x")
        with pytest.raises(TimedOut):  # the server holds the request unanswered
            await bot.send_message(USER, "x")
    assert fake.messages(USER) == []
