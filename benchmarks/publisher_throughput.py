"""Events per second the runtime's publisher delivers into the real module, next to raw
`apply_event` calls per second from the harness over HTTP, for the same events.

Both run in one process against one server (each into its own fresh database), one after
the other, so their ratio is meaningful even on a noisy machine. The publisher's time runs
from releasing a journaled backlog to quiescence, so journaling (appends) is timed apart.
The raw calls come one at a time from one connection; the publisher has a worker per
stream, each on its own kept-alive connection, sending a stream's next event once the
previous one is acknowledged, while one writer records the acknowledged heads in groups.
The same raw calls, each on a new connection, into a
third database show what keep-alive alone is worth on this server. Prints numbers; asserts
nothing (speed goals are read from here, never from timed test
assertions).

    .venv/bin/python -m benchmarks.publisher_throughput [--events 600] [--streams 3]
"""

from __future__ import annotations

import argparse
import time

from harness.contract.events import Event
from harness.drivers.runtime import RuntimeClient
from harness.env.cache import repo_root
from harness.env.module_build import build_module
from harness.env.stack import Stack, StackOptions


def events(streams: int, total: int) -> list[Event]:
    """`total` run events over `streams` run topics, interleaved: run.created, then steps."""
    topics = [f"run:bench-{index}:events" for index in range(streams)]
    journal: list[Event] = []
    for index in range(total):
        topic, seq = topics[index % streams], index // streams + 1
        kind, payload = ("run.created", {"owner": "bench"}) if seq == 1 else (
            "run.step", {"tokens": seq})
        journal.append(Event(topic, seq, kind, payload, 1_700_000_000_000 + seq))
    return journal


def rate(label: str, count: int, seconds: float, unit: str) -> str:
    return f"{label:<34} {count:>6} in {seconds:7.3f} s  = {count / seconds:8.0f} {unit}/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--streams", type=int, default=3)
    args = parser.parse_args()
    journal = events(args.streams, args.events)
    stack = Stack(StackOptions()).start()
    try:
        assert stack.server is not None
        wasm = build_module(repo_root() / "projectors" / "reference")
        published, raw, fresh = stack.publish(wasm), stack.publish(wasm), stack.publish(wasm)
        runtime = RuntimeClient(stack.runtime().url, timeout=30.0)
        runtime.set_target(stack.server.internal_url, published.name, published.owner.token)
        runtime.faults(pause=True)
        started = time.perf_counter()
        for event in journal:
            runtime.append(event.topic, event.kind, dict(event.payload), event.published_at_ms)
        appended = time.perf_counter() - started
        started = time.perf_counter()
        runtime.faults(resume=True)
        result = runtime.wait(600.0)
        delivered = time.perf_counter() - started
        status = result.status
        if not result.quiescent or status.delivered_events != len(journal):
            raise SystemExit(f"the publisher did not deliver everything: {status}")
        http = raw.http()
        started = time.perf_counter()
        for event in journal:
            http.call(raw.name, "apply_event", list(event.reducer_args()))
        called = time.perf_counter() - started
        started = time.perf_counter()
        for event in journal:
            fresh.http().call(fresh.name, "apply_event", list(event.reducer_args()))
        reconnected = time.perf_counter() - started
        print(f"{len(journal)} events over {args.streams} streams")
        print(rate("runtime appends (journal, fsync'd)", len(journal), appended, "appends"))
        print(rate("publisher delivery into the module", len(journal), delivered, "events"))
        print(rate("raw apply_event calls over HTTP", len(journal), called, "calls"))
        print(rate("raw calls, a new connection each", len(journal), reconnected, "calls"))
        print(f"ratio publisher/raw: {called / delivered:.2f}")
        print(f"ratio raw kept-alive/new connection each: {reconnected / called:.2f}")
    finally:
        stack.close()


if __name__ == "__main__":
    main()
