"""Run a stale-cursor scenario: the module scenario plus clients that resume and listen.

Each `resume` step hands a cursor to the target's client side for a named client; the
client resumes (R1), subscribes or recovers by snapshot (R4), and records every step. Live
deliveries that follow reach it over its own connection. At the end each client is pumped
until it reaches the stream's head (or a timeout), and what it did is stored in the history
for the checker.
"""

from __future__ import annotations

from dataclasses import asdict

from harness.contract.streams import stream_of
from harness.errors import EnvironmentFailed
from harness.history import EntryType, History
from harness.runner.environment import RunEnvironment
from harness.runner.module import run_module_scenario
from harness.scenario.model import Scenario
from harness.scenario.steps import Resume, step_fields
from harness.targets.sides import (
    ClientGaveUp,
    ClientRecord,
    ClientSession,
    ClientSide,
    ClientStep,
    ModuleSession,
    Resumed,
)

PUMP_TIMEOUT_S = 3.0


class ClientPool:
    """One client session per client name, each its own identity."""

    def __init__(self, side: ClientSide, module: ModuleSession) -> None:
        self.side = side
        self.module = module
        self.clients: dict[str, ClientSession] = {}
        self.resumed: set[tuple[str, str]] = set()
        self.failures: dict[tuple[str, str], str] = {}

    def resume(self, history: History, number: int, step: Resume) -> None:
        name, stream_id = step.client, stream_of(step.topic)
        if name not in self.clients:
            self.clients[name] = self.side.connect(self.module, name)
        index = history.invoke(f"client:{name}", step.op, {"step": number, **step_fields(step)})
        self.resumed.add((name, stream_id))
        try:
            answer = self.clients[name].resume(stream_id, step.cursor, step.budget)
        except ClientGaveUp as exc:  # the client under test gave up: its failure
            self.failures[(name, stream_id)] = str(exc)
            # The module's answer, where the client got one before giving up, is the
            # step's answer: a wrong stale decision is the module's (R3), judged as such.
            resumed = [s for s in self.clients[name].record(stream_id).steps
                       if isinstance(s, Resumed) and s.cursor == step.cursor]
            if resumed:
                history.complete(index, EntryType.OK if resumed[-1].error is None
                                 else EntryType.FAIL, error=resumed[-1].error)
            else:
                history.complete(index, EntryType.INFO, error=str(exc))
            return
        history.complete(index, EntryType.OK if answer.error is None else EntryType.FAIL,
                         error=answer.error)

    def finish(self, history: History, heads: dict[str, int]) -> None:
        """Pump every resumed stream to its head and record what each client did."""
        for name, stream_id in sorted(self.resumed):
            client = self.clients[name]
            record = client.record(stream_id)
            try:
                if record.steps and not _refused_for_good(record):
                    client.pump(stream_id, heads.get(stream_id, 0), PUMP_TIMEOUT_S)
            except ClientGaveUp as exc:
                self.failures[(name, stream_id)] = str(exc)
            history.snapshots[f"client:{name}:{stream_id}"] = _record_json(
                client.record(stream_id), self.failures.get((name, stream_id)))
        for client in self.clients.values():
            client.close()


def _refused_for_good(record: ClientRecord) -> bool:
    last = [s for s in record.steps if isinstance(s, Resumed)][-1]
    return last.error is not None and not last.stale


def _step_json(step: ClientStep) -> dict[str, object]:
    return {"kind": type(step).__name__, **asdict(step)}


def _record_json(record: ClientRecord, failure: str | None) -> dict[str, object]:
    return {"failure": failure, "steps": [_step_json(s) for s in record.steps],
            "cursor": record.cursor, "base_seq": record.base_seq, "events": list(record.events),
            "rows": [{**row.columns, "seq": row.seq} for row in record.rows]}


def run_resume_scenario(scenario: Scenario, env: RunEnvironment) -> History:
    if not scenario.count(Resume):  # acks and deliveries only: the module alone
        return run_module_scenario(scenario, env)
    if env.target.client is None:
        raise EnvironmentFailed("this target has no client side",
                                "the runner should have found the scenario not applicable")
    module = env.fresh_module()
    pool = ClientPool(env.target.client, module)
    history = run_module_scenario(scenario, env, module, on_resume=pool.resume)
    heads = {row["stream_id"]: row["head_seq"]
             for row in history.snapshots["final"].get("stream_head", [])}
    pool.finish(history, heads)
    return history
