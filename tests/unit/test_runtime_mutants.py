"""The publisher mutants: selectable, and each one breaks its rule where the reference keeps it.

Every test runs the same situation twice against the in-process fake SpacetimeDB (whose
module is the oracle): once with the reference publisher, which keeps the rule, and once
with the mutant, whose defect shows. Whether the harness catches the mutants against the
real server is not this file's job.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.contract.streams import stream_of
from stub.runtime.__main__ import parse_args, settings_of
from stub.runtime.admission import admit
from stub.runtime.faults import FaultCommand
from stub.runtime.journal import JOURNAL_FILE, Journal
from stub.runtime.mutants import (
    DEAD_LETTER_PAUSES_ALL,
    DROPPED_AFTER_RETRIES,
    JOURNAL_TAIL_LOST,
    MUTANT_ENV,
    PERMANENT_RETRIED_FOREVER,
    PROGRESS_BEFORE_SEND,
    REORDERED_STREAM,
    RUNTIME_MUTANTS,
)
from stub.runtime.progress import DeadLetter
from stub.runtime.service import RuntimeService
from stub.runtime.settings import PublisherSettings
from tests.unit.test_runtime_support import (
    FAST,
    NOTE,
    RUN,
    WAIT_S,
    FakeSpacetime,
    Runtimes,
    fake_spacetime,
    note,
    projection_of,
    run_step,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
RUN_STREAM = stream_of(RUN)
NOTE_STREAM = stream_of(NOTE)


@contextmanager
def _publishing(tmp_path: Path, mutant: str) -> Iterator[tuple[FakeSpacetime, RuntimeService]]:
    """A fresh fake SpacetimeDB and a runtime publishing to it as `mutant` ("": the
    reference), on a data directory of its own, so the two runs of a test share nothing."""
    settings = dataclasses.replace(FAST, mutant=mutant)
    with fake_spacetime() as fake:
        runtimes = Runtimes(tmp_path / (mutant or "reference"))
        try:
            yield fake, runtimes.start(fake.target, settings=settings)
        finally:
            runtimes.stop_all()


def _answers(fake: FakeSpacetime, stream_id: str) -> list[tuple[int, int]]:
    """(seq, HTTP status) of every call the fake answered for the stream, in order."""
    return [(call.args.seq, call.status) for call in fake.calls_for(stream_id)]


def test_the_six_runtime_mutants() -> None:
    assert sorted(RUNTIME_MUTANTS) == [
        "dead-letter-pauses-all",
        "dropped-after-retries",
        "journal-tail-lost",
        "permanent-retried-forever",
        "progress-before-send",
        "reordered-stream",
    ]


@pytest.mark.parametrize(("mutant", "kept"), [("", 3), (JOURNAL_TAIL_LOST, 2)])
def test_a_reloaded_journal_keeps_every_acknowledged_event_unless_the_mutant(
        tmp_path: Path, mutant: str, kept: int) -> None:
    """The reference cuts only a half-written last record; the mutant cuts the whole last
    one too, so a restart forgets an event whose append was answered (B5)."""
    journal = Journal(tmp_path, lambda: 0, mutant)
    for number in range(3):
        journal.append(admit(NOTE, "note", f'{{"text":"n{number}"}}', 1000 + number))
    journal.close()
    with (tmp_path / JOURNAL_FILE).open("ab") as torn:
        torn.write(b'{"topic":')  # a crash in the middle of a fourth append
    assert Journal(tmp_path, lambda: 0, mutant).head(NOTE) == kept


@pytest.mark.parametrize(
    ("argv", "env", "selected"),
    [
        pytest.param([], {}, "", id="reference-by-default"),
        pytest.param([], {MUTANT_ENV: ""}, "", id="empty-env-is-reference"),
        pytest.param([], {MUTANT_ENV: REORDERED_STREAM}, REORDERED_STREAM, id="env"),
        pytest.param(["--mutant", DROPPED_AFTER_RETRIES], {}, DROPPED_AFTER_RETRIES, id="flag"),
        pytest.param(
            ["--mutant", DROPPED_AFTER_RETRIES],
            {MUTANT_ENV: REORDERED_STREAM},
            DROPPED_AFTER_RETRIES,
            id="flag-over-env",
        ),
        pytest.param(["--mutant", ""], {MUTANT_ENV: REORDERED_STREAM}, "", id="flag-clears-env"),
    ],
)
def test_mutant_is_selected_by_flag_or_environment(
    tmp_path: Path, argv: list[str], env: dict[str, str], selected: str
) -> None:
    args = parse_args(["--data-dir", str(tmp_path), *argv], env)
    assert settings_of(args).mutant == selected


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        pytest.param(["--mutant", "reordered"], {}, id="flag"),
        pytest.param([], {MUTANT_ENV: "Reordered-Stream"}, id="env"),
    ],
)
def test_unknown_mutant_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["--data-dir", str(tmp_path), *argv], env)
    assert exited.value.code == 2
    assert "unknown runtime mutant" in capsys.readouterr().err


def test_the_service_reads_the_environment_at_start_up(tmp_path: Path) -> None:
    """`python -m stub.runtime` itself consults RUNTIME_MUTANT (here: refuses a bad one)."""
    env = {**os.environ, MUTANT_ENV: "no-such-mutant"}
    argv = [sys.executable, "-m", "stub.runtime", "--port", "0", "--data-dir", str(tmp_path)]
    done = subprocess.run(
        argv, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=WAIT_S
    )
    assert done.returncode == 2
    assert "unknown runtime mutant 'no-such-mutant'" in done.stderr


def test_in_process_settings_refuse_an_unknown_mutant() -> None:
    with pytest.raises(ValueError, match="unknown runtime mutant"):
        PublisherSettings(mutant="reordered")


def test_B3_permanent_retried_forever_never_dead_letters(tmp_path: Path) -> None:
    conflict = (530, "idempotency_conflict")
    with _publishing(tmp_path, "") as (fake, service):
        fake.override = lambda args: conflict if args.seq == 2 else None
        for tokens in range(3):
            run_step(service, tokens)
        assert service.wait_until_delivered(WAIT_S)
        stream = service.status().stream(RUN_STREAM)
        assert stream.dead_letter == DeadLetter(2, "idempotency_conflict", "primary")
        assert _answers(fake, RUN_STREAM) == [(1, 200), (2, 530)]
    with _publishing(tmp_path, PERMANENT_RETRIED_FOREVER) as (fake, service):
        fake.override = lambda args: conflict if args.seq == 2 else None
        for tokens in range(3):
            run_step(service, tokens)
        wait_for(lambda: len(fake.calls_for(RUN_STREAM)) >= 6)
        stream = service.status().stream(RUN_STREAM)
        assert (stream.dead_letter, stream.paused) == (None, False)
        assert stream.last_error == "idempotency_conflict"
        assert stream.consecutive_failures >= 4
        assert not service.wait_until_delivered(0.05)
        assert {seq for seq, _ in _answers(fake, RUN_STREAM)} == {1, 2}


def test_B1_dropped_after_retries_records_an_undelivered_event_as_delivered(
    tmp_path: Path,
) -> None:
    unavailable = (503, "Service Unavailable")
    with _publishing(tmp_path, "") as (fake, service):
        fake.override = lambda args: unavailable if args.seq == 1 else None
        note(service, NOTE, "a")
        note(service, NOTE, "b")
        wait_for(lambda: len(fake.calls_for(NOTE_STREAM)) >= 6)
        stream = service.status().stream(NOTE_STREAM)
        assert (stream.delivered_head, stream.dead_letter, stream.outbox_depth) == (0, None, 2)
        assert {seq for seq, _ in _answers(fake, NOTE_STREAM)} == {1}
    with _publishing(tmp_path, DROPPED_AFTER_RETRIES) as (fake, service):
        fake.override = lambda args: unavailable if args.seq == 1 else None
        note(service, NOTE, "a")
        note(service, NOTE, "b")
        assert service.wait_until_delivered(WAIT_S)
        # Seq 1 failed three times, was recorded delivered, and seq 2 went next; the module
        # never got seq 1, so it refuses seq 2, and that refusal is dead-lettered as usual.
        assert _answers(fake, NOTE_STREAM) == [(1, 503), (1, 503), (1, 503), (2, 530)]
        stream = service.status().stream(NOTE_STREAM)
        assert stream.delivered_head == 1
        assert stream.dead_letter == DeadLetter(
            2, "sequence_conflict expected_next_seq=1 actual_seq=2", "primary"
        )
        assert fake.snapshot() != projection_of(service, [NOTE])


def test_B2_reordered_stream_sends_n_plus_1_before_n(tmp_path: Path) -> None:
    with _publishing(tmp_path, "") as (fake, service):
        service.control(FaultCommand(RUN_STREAM, pause=True))
        for tokens in range(3):
            run_step(service, tokens)
        service.control(FaultCommand(RUN_STREAM, resume=True))
        assert service.wait_until_delivered(WAIT_S)
        assert _answers(fake, RUN_STREAM) == [(1, 200), (2, 200), (3, 200)]
        assert fake.snapshot() == projection_of(service, [RUN])
    with _publishing(tmp_path, REORDERED_STREAM) as (fake, service):
        service.control(FaultCommand(RUN_STREAM, pause=True))
        for tokens in range(3):
            run_step(service, tokens)
        service.control(FaultCommand(RUN_STREAM, resume=True))
        assert service.wait_until_delivered(WAIT_S)
        # Seq 2 went first; the module's sequence_conflict is classified as usual, and the
        # stream is held, so seq 1 is never sent.
        assert _answers(fake, RUN_STREAM) == [(2, 530)]
        stream = service.status().stream(RUN_STREAM)
        assert stream.delivered_head == 0
        assert stream.dead_letter == DeadLetter(
            2, "sequence_conflict expected_next_seq=1 actual_seq=2", "primary"
        )


def test_B4_dead_letter_pauses_all_holds_the_other_streams(tmp_path: Path) -> None:
    conflict = (530, "idempotency_conflict")
    for mutant, notes_delivered in (("", 3), (DEAD_LETTER_PAUSES_ALL, 0)):
        with _publishing(tmp_path, mutant) as (fake, service):
            fake.override = lambda args: conflict if args.stream_id == RUN_STREAM else None
            run_step(service, 1)
            assert service.wait_until_delivered(WAIT_S)
            assert service.status().stream(RUN_STREAM).dead_letter is not None
            for index in range(3):
                note(service, NOTE, str(index))
            assert service.wait_until_delivered(WAIT_S)
            status = service.status()
            assert status.paused_all is bool(mutant)
            assert status.stream(NOTE_STREAM).delivered_head == notes_delivered
            assert len(fake.calls_for(NOTE_STREAM)) == notes_delivered


@pytest.mark.parametrize(("mutant", "sent_after_restart"),
                         [("", [1, 2, 3]), (PROGRESS_BEFORE_SEND, [2])])
def test_B5_progress_before_send_loses_the_event_a_crash_cut_off(
        tmp_path: Path, mutant: str, sent_after_restart: list[int]) -> None:
    """A crash between taking seq 1 and sending it: the reference sends it after the
    restart; the mutant recorded it delivered, so the module is asked for seq 2 first,
    refuses it, and seq 1 never arrives."""
    settings = dataclasses.replace(FAST, mutant=mutant)
    with fake_spacetime() as fake:
        runtimes = Runtimes(tmp_path / (mutant or "reference"))
        try:
            service = runtimes.start(fake.target, settings=settings)
            service.control(FaultCommand(pause=True))
            for tokens in range(3):
                run_step(service, tokens)
            service.control(FaultCommand(RUN_STREAM, counters={"crash_before_send": 1}))
            service.control(FaultCommand(resume=True))
            wait_for(lambda: service.crashed)
            service.stop()
            restarted = runtimes.start(fake.target, settings=settings)
            assert restarted.wait_until_delivered(WAIT_S)
            assert [seq for seq, _ in _answers(fake, RUN_STREAM)] == sent_after_restart
            assert (fake.snapshot() == projection_of(restarted, [RUN])) is (not mutant)
        finally:
            runtimes.stop_all()
