"""Run a stale-cursor scenario: the module scenario plus clients that resume and listen.

Each `resume` step hands a cursor to the reference client (stub/client) of a named client
identity; the client asks the module (R1), subscribes or recovers by snapshot (R4), and
records every step. Live deliveries that follow reach it over its WebSocket. At the end
each client is pumped until it reaches the stream's head (or a timeout), and what it did
is stored in the history for the checker.
"""

from __future__ import annotations

from dataclasses import asdict

from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.runner.environment import RunEnvironment
from harness.runner.module import run_module_scenario
from harness.scenario.model import Scenario, Step
from harness.spacetime.http import SpacetimeHttp
from harness.targets.spacetime_module import SpacetimeModuleTarget
from stub.client.client import ResumeFailedError, ResumingClient
from stub.client.steps import Delivered, Resumed, SnapshotLoaded

PUMP_TIMEOUT_S = 3.0


class ClientPool:
    """One ResumingClient per client name, each with its own identity; all of them the
    `client_mutant` variant when one is under test, the reference otherwise."""

    def __init__(self, target: SpacetimeModuleTarget, client_mutant: str | None) -> None:
        self.target = target
        self.client_mutant = client_mutant
        self.clients: dict[str, ResumingClient] = {}
        self.resumed: set[tuple[str, str]] = set()
        self.failures: dict[tuple[str, str], str] = {}

    def resume(self, history: History, number: int, step: Step) -> None:
        name, stream_id = step["client"], stream_of(step["topic"])
        if name not in self.clients:
            database = self.target.database
            token = SpacetimeHttp(database.url).create_identity().token
            self.clients[name] = ResumingClient(database.url, database.name, token,
                                                mutant=self.client_mutant)
        value = {"step": number, **{k: v for k, v in step.items() if k != "op"}}
        index = history.invoke(f"client:{name}", "resume", value)
        self.resumed.add((name, stream_id))
        try:
            answer = self.clients[name].resume(stream_id, step["cursor"], step["budget"])
        except ResumeFailedError as exc:  # the client under test gave up: its failure
            self.failures[(name, stream_id)] = str(exc)
            history.complete(index, EntryType.INFO, error=str(exc))
            return
        history.complete(index, EntryType.OK if answer.ok else EntryType.FAIL, error=answer.error)

    def finish(self, history: History, heads: dict[str, int]) -> None:
        """Pump every resumed stream to its head and record what each client did."""
        for name, stream_id in sorted(self.resumed):
            client = self.clients[name]
            try:
                if client.steps(stream_id) and not _refused_for_good(client, stream_id):
                    client.pump(stream_id, until_seq=heads.get(stream_id, 0),
                                timeout=PUMP_TIMEOUT_S)
            except ResumeFailedError as exc:
                self.failures[(name, stream_id)] = str(exc)
            view = client.view(stream_id)
            history.snapshots[f"client:{name}:{stream_id}"] = {
                "failure": self.failures.get((name, stream_id)),
                "steps": [_step_json(s) for s in client.steps(stream_id)],
                "cursor": client.cursor(stream_id),
                "base_seq": view.base_seq,
                "events": [int(row["seq"]) for row in view.events],
            }
        for client in self.clients.values():
            client.close()


def _refused_for_good(client: ResumingClient, stream_id: str) -> bool:
    last = [s for s in client.steps(stream_id) if isinstance(s, Resumed)][-1]
    return not last.ok and not last.stale


def _step_json(step: Resumed | SnapshotLoaded | Delivered) -> dict[str, object]:
    return {"kind": type(step).__name__, **asdict(step)}


def run_resume_scenario(scenario: Scenario, env: RunEnvironment) -> History:
    target = env.fresh_target()
    pool = ClientPool(target, env.client_mutant)
    history = run_module_scenario(scenario, env, target, on_step={"resume": pool.resume})
    heads = {row["stream_id"]: row["head_seq"]
             for row in history.snapshots["final"].get("stream_head", [])}
    pool.finish(history, heads)
    return history
