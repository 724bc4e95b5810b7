"""The reference client's pure parts: its SQL (R1), its view's admission rule (R2) and
how it recognises a stale cursor (R3)."""

from __future__ import annotations

from typing import Any

from stub.client.queries import gap_query, head_query, projection_query, sql_literal
from stub.client.steps import Resumed
from stub.client.view import Admission, StreamView


def rows(*seqs: int) -> list[dict[str, Any]]:
    return [{"seq": seq, "stream_id": "s"} for seq in seqs]


def test_R1_literals_double_every_quote() -> None:
    assert sql_literal("o'neil''s") == "'o''neil''''s'"
    assert sql_literal("") == "''"


def test_R1_gap_query_selects_the_stream_after_the_cursor() -> None:
    assert gap_query("runtime.run.o'n.events", 7) == (
        "SELECT * FROM sync_event WHERE stream_id = 'runtime.run.o''n.events' AND seq > 7")


def test_R4_snapshot_queries_read_the_head_and_the_projection_row() -> None:
    assert head_query("runtime.topic.it's") == (
        "SELECT * FROM stream_head WHERE stream_id = 'runtime.topic.it''s'")
    assert projection_query("runtime.run.a'b.events") == (
        "SELECT * FROM run_summary WHERE run_id = 'a''b'")
    assert projection_query("runtime.worker.w:1.lifecycle") == (
        "SELECT * FROM worker_status WHERE worker_id = 'w:1'")
    assert projection_query("runtime.fleet.user.u.workers") is None


def test_R2_admit_delivers_in_seq_order_and_drops_what_the_cursor_covers() -> None:
    view = StreamView(base_seq=3)
    assert view.admit(rows(5, 2, 4, 3)) == Admission((4, 5))
    assert view.admit(rows(5, 6, 4)) == Admission((6,))
    assert [row["seq"] for row in view.events] == [4, 5, 6]
    assert view.cursor == 6


def test_R2_admit_stops_at_a_hole_and_says_where() -> None:
    view = StreamView(base_seq=0)
    assert view.admit(rows(1, 2, 4, 5)) == Admission((1, 2), beyond_gap=4)
    assert view.cursor == 2
    assert view.admit(rows(3)) == Admission((3,))


def test_R3_only_a_stale_cursor_answer_is_stale() -> None:
    stale = Resumed(1, 0, "stale_cursor reason=cursor_ahead_of_head stream_id=s")
    assert stale.stale and not stale.ok
    assert not Resumed(1, 0, "invalid_event stream_id").stale
    assert not Resumed(1, 0, "stale_cursorish").stale
    assert Resumed(1, 0, None).ok and not Resumed(1, 0, None).stale
