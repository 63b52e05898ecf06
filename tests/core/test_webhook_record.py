"""The webhook record: what a ComfyDeploy payload says, read defensively, and URL helpers."""

from __future__ import annotations

import pytest

from composer.core.webhooks import (
    exposure_warning,
    group_by_run,
    is_local_url,
    is_loopback,
    receiver_url,
    remote_api_note,
    target_events,
    wants_run_output,
    with_run_output,
)
from tests.webhook_factory import RUN_A, RUN_B, payload, record


def test_derived_fields_of_a_comfydeploy_payload() -> None:
    got = record(
        1, payload("running", progress=0.949999988079071, live_status="Executing KSampler")
    )
    assert got.run_id == RUN_A
    assert got.event_type == "run.updated"
    assert got.status == "running"
    assert got.progress == pytest.approx(0.95)
    assert got.live_status == "Executing KSampler"
    assert got.outputs == []
    assert got.is_comfydeploy_event and not got.is_terminal
    assert record(2, payload("success")).is_terminal
    # run.output never counts as the terminal event, whatever status it carries.
    assert not record(3, payload("success", event_type="run.output")).is_terminal


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'{"run_id": 5, "status": null, "progress": "half"}', b"\xff"],
)
def test_odd_bodies_give_none_not_errors(body: bytes) -> None:
    got = record(1, body)
    assert got.run_id is None and got.status is None and got.progress is None
    assert got.event_type is None and got.outputs == []
    assert not got.is_comfydeploy_event
    assert f"({len(body)} bytes)" in got.summary()


def test_progress_ignores_booleans() -> None:
    assert record(1, payload("running", progress=True)).progress is None  # type: ignore[arg-type]


def test_header_lookup_is_case_insensitive_and_first_wins() -> None:
    got = record(1, b"", headers=[("X-Tag", "one"), ("x-tag", "two"), ("Host", "h:1")])
    assert got.header("x-TAG") == "one"
    assert got.header("missing") is None


def test_target_and_summary() -> None:
    got = record(7, payload("running", progress=0.42), query="target_events=run.output")
    assert got.target == "/hook?target_events=run.output"
    assert (
        got.summary()
        == f"#7 POST /hook?target_events=run.output run.updated running 42% run {RUN_A}"
    )
    assert record(8, b"", path="/x").target == "/x"


def test_group_by_run_discovers_run_ids_in_order_of_arrival() -> None:
    records = [
        record(1, payload("queued", RUN_B)),
        record(2, b"junk"),
        record(3, payload("queued", RUN_A)),
        record(4, payload("success", RUN_B)),
    ]
    grouped = group_by_run(records)
    assert list(grouped) == [RUN_B, RUN_A]
    assert [r.seq for r in grouped[RUN_B]] == [1, 4]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/hook", "http://h/hook?target_events=run.output"),
        ("http://h/hook?a=1", "http://h/hook?a=1&target_events=run.output"),
        (
            "http://h/hook?target_events=run.updated",
            "http://h/hook?target_events=run.updated,run.output",
        ),
        ("http://h/hook?target_events=run.output", "http://h/hook?target_events=run.output"),
        ("http://h/hook?x=%20y#frag", "http://h/hook?x=%20y&target_events=run.output#frag"),
    ],
)
def test_adding_run_output_is_literal(url: str, expected: str) -> None:
    assert with_run_output(url) == expected
    assert wants_run_output(expected)
    assert "%2C" not in expected and "run%2Eoutput" not in expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/hook?target_events=run.output", "http://h/hook"),
        ("http://h/hook?a=1&target_events=run.output&b=2", "http://h/hook?a=1&b=2"),
        (
            "http://h/hook?target_events=run.updated,run.output",
            "http://h/hook?target_events=run.updated",
        ),
        ("http://h/hook", "http://h/hook"),
    ],
)
def test_removing_run_output(url: str, expected: str) -> None:
    assert with_run_output(url, enabled=False) == expected
    assert not wants_run_output(expected)


def test_target_events_reads_the_literal_query() -> None:
    assert target_events("http://h/?target_events=a,run.output&target_events=b") == [
        "a",
        "run.output",
        "b",
    ]
    # Encoded text is not what the service matches.
    assert not wants_run_output("http://h/?target_events=run%2Eoutput")
    assert not wants_run_output(None)
    assert not wants_run_output("http://h/?other=target_events=run.output")


def test_receiver_url_builder() -> None:
    assert receiver_url() == "http://127.0.0.1:8787/"
    assert receiver_url("0.0.0.0", 9000, "hook") == "http://127.0.0.1:9000/hook"
    assert receiver_url("::", 9000) == "http://[::1]:9000/"
    assert receiver_url(port=1, run_output=True) == "http://127.0.0.1:1/?target_events=run.output"


def test_exposure_warning_only_beyond_loopback() -> None:
    assert exposure_warning("127.0.0.1") is None
    assert exposure_warning("localhost") is None
    assert exposure_warning("::1") is None
    warning = exposure_warning("0.0.0.0")
    assert warning is not None and "0.0.0.0" in warning and "other machines" in warning
    assert is_loopback("127.0.0.5") and not is_loopback("192.168.1.4")
    assert not is_loopback("example.com")


def test_local_urls_get_the_tunnel_note() -> None:
    assert is_local_url("http://127.0.0.1:8787/hook")
    assert is_local_url("http://localhost/hook?a=b")
    assert is_local_url("http://[::1]:80/")
    assert is_local_url("http://user@127.0.0.1:1/")
    assert not is_local_url("https://example.com/hook")
    note = remote_api_note("http://127.0.0.1:8787/")
    assert note is not None and "tunnel" in note and "sandbox" in note
    assert remote_api_note("https://example.com/hook") is None


def test_records_are_hashable_values() -> None:
    first = record(1, payload("queued"))
    same = record(1, payload("queued"))
    assert first == same and len({first, same, record(2, payload("queued"))}) == 2
