"""Deliberately broken variants of the reference client, for proving the harness catches a
client that gets resuming wrong.

Each mutant is one realistic slip at one of the client's decisions, selected with
`ResumingClient(..., mutant=NAME)` (the harness's `--mutant NAME`, catalogued in
harness/targets/mutants.py); the reference runs with none and never reaches this code.
"""

from __future__ import annotations

import json
from typing import Final

from stub.client.spacetime import Row
from stub.client.steps import Resumed
from stub.client.view import StreamView

SKIP_AHEAD_ON_STALE: Final = "skip-ahead-on-stale"
"""R4: on stale_cursor the cursor jumps to the error's head, no snapshot (`skipped_ahead`)."""

GAP_EDGE_OFF_BY_ONE: Final = "gap-edge-off-by-one"
"""R2: the subscription starts after cursor + 1, as if the cursor were the next seq to read.

The view's own gap check then stops at cursor + 2 and resumes again, to the same effect, so
the client either never gets cursor + 1 or gives up: the harness sees both.
(`seq >= cursor` would be the same slip the other way round, but the view drops the extra
row, so nothing could observe it.)"""

RESUME_AHEAD_OF_HEAD: Final = "resume-ahead-of-head"
"""R3/R4: a cursor ahead of the head is subscribed from, not recovered (`trusts_ahead`)."""

SEQS_ORDERED_AS_TEXT: Final = "seqs-ordered-as-text"
"""R2: a subscription's initial rows are put in order by their seq as text, so from ten rows
on, seq 10 comes before seq 2. The view's gap check then stops at 10 and resumes again, to
the same effect: the client gives up, or never gets past seq 9 (`in_text_order`)."""

GAP_PAYLOAD_REENCODED: Final = "gap-payload-reencoded"
"""R2: the gap's rows (a subscription's initial batch) are kept with their payload parsed and
written again by `json.dumps`, whose spacing and escapes are not the module's: every seq
arrives once and in order, but the payload held is not the one stored (nor the text its
payload_hash covers) (`reencoded`). Live rows are kept as they come."""

SNAPSHOT_HOLDS_FOLDED_EVENTS: Final = "snapshot-holds-folded-events"
"""R4: the recovery snapshot also reads the stream's stored events and keeps them in the view
as if they followed the snapshot, though its projection already folds them: the cursor is
still the snapshot's head and the deliveries after it are right, but the view holds events
at or below its base (`with_folded_events`)."""

CLIENT_MUTANTS: Final = frozenset({SKIP_AHEAD_ON_STALE, GAP_EDGE_OFF_BY_ONE,
                                   RESUME_AHEAD_OF_HEAD, SEQS_ORDERED_AS_TEXT,
                                   GAP_PAYLOAD_REENCODED, SNAPSHOT_HOLDS_FOLDED_EVENTS})


def in_text_order(rows: list[Row]) -> list[Row]:
    """`seqs-ordered-as-text`: the rows sorted as a text column would sort them."""
    return sorted(rows, key=lambda row: str(row["seq"]))


def reencoded(rows: list[Row]) -> list[Row]:
    """`gap-payload-reencoded`: each row with its payload_json as `json.dumps` writes it."""
    return [{**row, "payload_json": json.dumps(json.loads(row["payload_json"]))}
            for row in rows]


def with_folded_events(view: StreamView, stored: list[Row]) -> StreamView:
    """`snapshot-holds-folded-events`: the snapshot's view with the stream's stored events
    up to its head kept as its events. The last of them is the head itself (M3: no hole up
    to it), so the cursor does not move and nothing downstream of it looks wrong."""
    folded = sorted((row for row in stored if int(row["seq"]) <= view.base_seq),
                    key=lambda row: int(row["seq"]))
    return StreamView(base_seq=view.base_seq, projection=view.projection, events=folded)


def skipped_ahead(view: StreamView, answer: Resumed) -> StreamView:
    """`skip-ahead-on-stale`: the view moved to the head the stale_cursor error names,
    keeping the application's projection as it was instead of loading a snapshot.

    The next resume from the head succeeds and live events flow, so the client looks
    healthy while the skipped events never reach the application."""
    head = int(_fields(answer)["head_cursor"])
    return StreamView(base_seq=head, projection=view.projection)


def trusts_ahead(answer: Resumed) -> bool:
    """`resume-ahead-of-head`: whether the answer is a cursor_ahead_of_head, which this
    client takes for a module that is merely behind and subscribes through anyway.

    The subscription only holds seqs above the future cursor, so the events up to it are
    silently never delivered."""
    return "cursor_ahead_of_head" in _fields(answer).get("reason", "").split(",")


def _fields(answer: Resumed) -> dict[str, str]:
    """The `key=value` fields of a stale_cursor error (R3); stream ids hold no whitespace."""
    words = (answer.error or "").split()[1:]
    return dict(word.split("=", 1) for word in words if "=" in word)
