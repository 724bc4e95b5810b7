"""Generated operations (harness.generators.operations) on a target and on the oracle.

The two functions mirror each other call for call, so comparing their answers compares
the module with the oracle and nothing else. Callers are named: None is the publisher,
any other name a client identity; `identity` says which identity a name stands for, so
the oracle keys checkpoints (M6) by the same identity as the module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from harness.generators.operations import Ack, Apply, Compact, Operation, Resume
from harness.model.module import ReferenceModel
from harness.model.outcome import Outcome
from harness.targets.base import Reply
from harness.targets.sides import ModuleSession


def predict(operation: Operation, model: ReferenceModel,
            identity: Callable[[str], str]) -> Outcome:
    """What the oracle says the operation answers (and does to its tables)."""
    match operation:
        case Apply(args, caller):
            who = model.publisher if caller is None else identity(caller)
            return model.apply_event(who, args)
        case Compact(stream_id, through_seq, caller):
            who = model.publisher if caller is None else identity(caller)
            return model.compact_stream(who, stream_id, through_seq)
        case Resume(client, stream_id, after_seq, replay_budget):
            return model.resume_stream(identity(client), stream_id, after_seq, replay_budget)
        case Ack(client, stream_id, last_applied_seq):
            return model.ack_checkpoint(identity(client), stream_id, last_applied_seq)
        case _:
            assert_never(operation)


def perform(operation: Operation, target: ModuleSession) -> Reply:
    """The operation on the real module."""
    match operation:
        case Apply(args, caller):
            return target.apply(args, caller)
        case Compact(stream_id, through_seq, caller):
            return target.compact(stream_id, through_seq, caller)
        case Resume(client, stream_id, after_seq, replay_budget):
            return target.resume(client, stream_id, after_seq, replay_budget)
        case Ack(client, stream_id, last_applied_seq):
            return target.ack(client, stream_id, last_applied_seq)
        case _:
            assert_never(operation)
