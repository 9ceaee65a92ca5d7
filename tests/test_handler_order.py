"""Registration order does not matter: every callback handler claims only its own taps.

The handler modules are registered in every order (and, once, handler by handler in a
shuffled order); each time a participant answers and submits, an admin taps the export
button under a summary, the participant erases everything with /forgetme, and taps that
no handler claims are refused the same way.
"""

from __future__ import annotations

import itertools
import random

import pytest

from bot import outbox
from bot.app import HANDLER_MODULES, App, register_handlers
from bot.screens import participant as screens
from bot.screens import privacy as privacy_screens
from bot.screens.participant import refusal_toast
from conftest import ADMIN, Harness
from core.journey import Refusal

CODE = "RS-LDN-0314"
PARTICIPANT = 6101
ORDERS = [*itertools.permutations(range(len(HANDLER_MODULES))), "shuffled handlers"]


def reregister(app: App, order: tuple[int, ...] | str) -> None:
    for handler in list(app.handlers.get(0, [])):
        app.remove_handler(handler)
    if isinstance(order, tuple):
        register_handlers(app, [HANDLER_MODULES[i] for i in order])
        return
    register_handlers(app)
    handlers = list(app.handlers[0])
    random.Random(10).shuffle(handlers)
    for handler in handlers:
        app.remove_handler(handler)
    for handler in handlers:
        app.add_handler(handler)


def order_id(order: tuple[int, ...] | str) -> str:
    if isinstance(order, str):
        return order.replace(" ", "-")
    return "-".join(HANDLER_MODULES[i].__name__.rpartition(".")[2] for i in order)


@pytest.mark.parametrize("order", ORDERS, ids=order_id)
async def test_every_button_reaches_its_handler_in_any_order(
    bot: Harness, order: tuple[int, ...] | str
) -> None:
    assert bot.app is not None
    reregister(bot.app, order)

    await bot.send(PARTICIPANT, f"/start {CODE}")
    await bot.tap(PARTICIPANT, screens.AGREE)
    for label in ("Education", "Clinician", "2", screens.SKIP, "4", screens.SUBMIT):
        await bot.tap(PARTICIPANT, label)
    assert "are submitted" in bot.text(PARTICIPANT)
    assert len(bot.answers(PARTICIPANT)) == 5

    await bot.send(ADMIN, f"/report {CODE}")
    summary = next(m for m in bot.fake.messages(ADMIN) if outbox.EXPORT in bot.fake.button_data(m))
    await bot.tap(ADMIN, outbox.EXPORT, message_id=summary["message_id"])
    documents = [m["document"]["file_name"] for m in bot.fake.messages(ADMIN) if m.get("document")]
    # The report itself, then what the export button sent.
    assert documents == [f"report-{CODE}.html", f"{CODE}-answers.csv", f"{CODE}-answers.xlsx"]

    # Taps nobody claims: no data at all (PTB offers these to every patterned handler) and
    # data of no known shape. Each is refused with the same toast and changes nothing.
    toasts_before = len(bot.toasts())
    await bot.forge(PARTICIPANT, "")
    await bot.forge(PARTICIPANT, "z:nothing")
    await bot.forge(PARTICIPANT, "f:maybe")
    invalid = refusal_toast(Refusal.INVALID)
    assert bot.toasts()[toasts_before:] == [invalid, invalid, invalid]
    assert "are submitted" in bot.text(PARTICIPANT)
    assert len(bot.answers(PARTICIPANT)) == 5

    await bot.send(PARTICIPANT, "/forgetme")
    await bot.tap(PARTICIPANT, privacy_screens.ERASE)
    assert "everything about you is erased (5 answer(s) in 1 cohort(s))" in bot.text(PARTICIPANT)
    assert bot.answers(PARTICIPANT) == {}
