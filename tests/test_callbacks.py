"""The one callback-data codec: every button's data reads back as what it was written from,
and every tap, whatever its data, is claimed by exactly one handler's pattern."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import callbacks

CLAIMS = {
    "participant": callbacks.taps(callbacks.ParticipantAction),
    "forget": callbacks.taps(callbacks.Forget),
    "export": callbacks.taps(callbacks.Export),
    "nobody": callbacks.undecodable,
}

ACTIONS: list[callbacks.Action] = [
    callbacks.Answer("RS-LDN-0314", "pre", "sector", "2"),
    callbacks.Answer("RS-LDN-0314", "post", "conf_support", callbacks.SKIP),
    callbacks.Back("RS-LDN-0314", "pre", "role"),
    callbacks.Back("RS-LDN-0314", "pre", ""),
    callbacks.Submit("GH-LDN-0314", "post"),
    callbacks.Begin("GH-LDN-0314", "post"),
    callbacks.Consent("RS-LDN-0314", True),
    callbacks.Consent("RS-LDN-0314", False),
    callbacks.Forget(True),
    callbacks.Forget(False),
    callbacks.Export(cohort="RS-LDN-0314"),
    callbacks.Export(module="risk-support"),
    # Under a module's report for a period: its export covers that period's cohorts.
    callbacks.Export(module="risk-support", period="2026-Q1"),
    callbacks.Export(module="risk-support", period="2026-03"),
    callbacks.Export(module="a" * 40, period="2026"),
]


@pytest.mark.parametrize("action", ACTIONS, ids=repr)
def test_every_action_reads_back_as_itself(action: callbacks.Action) -> None:
    data = callbacks.encode(action)
    assert len(data.encode()) <= 64
    assert callbacks.decode(data) == action


@pytest.mark.parametrize(
    ("stored", "meaning"),
    [
        # Export buttons already posted under summaries, and stored in the outbox, keep working.
        ("x:c:RS-LDN-0314", callbacks.Export(cohort="RS-LDN-0314")),
        ("x:m:risk-support", callbacks.Export(module="risk-support")),
        ("f:y", callbacks.Forget(True)),
        ("f:n", callbacks.Forget(False)),
    ],
)
def test_buttons_sent_by_earlier_versions_still_decode(
    stored: str, meaning: callbacks.Action
) -> None:
    assert callbacks.decode(stored) == meaning


@pytest.mark.parametrize(
    "data",
    [
        "x:c:",
        "x:q:RS-LDN-0314",
        "x:m:Risk Support",
        "x:m:risk-support:2026-Q5",
        "x:m:risk-support:2026-13",
        "x:c:RS-LDN-0314:2026",
        "f:",
        "f:yes",
    ],
)
def test_near_misses_decode_to_nothing(data: str) -> None:
    assert callbacks.decode(data) is None


@given(
    st.one_of(
        st.sampled_from([callbacks.encode(a) for a in ACTIONS]),
        st.text(max_size=70),
        st.sampled_from(["a:", "k:", "s:", "g:", "c:", "f:", "x:"]).flatmap(
            lambda prefix: st.text(max_size=30).map(lambda rest: prefix + rest)
        ),
    )
)
def test_exactly_one_handler_claims_any_data(data: str) -> None:
    claimed = [name for name, claims in CLAIMS.items() if claims(data)]
    assert len(claimed) == 1, (data, claimed)
