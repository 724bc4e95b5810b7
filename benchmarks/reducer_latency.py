"""Median and p90 latency of one `apply_event` call over HTTP and over the WebSocket.

Both transports run in the same process against the same server and database, one after
the other, so their ratio is meaningful even on a noisy machine. Prints numbers; asserts
nothing (speed goals are read from here, never from timed test assertions).

    .venv/bin/python -m benchmarks.reducer_latency [--calls 500]
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness.contract.events import Event
from harness.env.cache import repo_root
from harness.env.module_build import build_module
from harness.env.stack import Stack, StackOptions
from harness.spacetime.ws import SpacetimeSubscriber


def events(topic: str, count: int) -> list[Event]:
    first = Event(topic, 1, "run.created", {"owner": "bench"}, 1_700_000_000_000)
    steps = [Event(topic, seq, "run.step", {"tokens": seq}, 1_700_000_000_000 + seq)
             for seq in range(2, count + 1)]
    return [first, *steps]


def summarize(label: str, samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (f"{label:<10} calls={len(ordered):>5}  median={statistics.median(ordered):6.2f} ms  "
            f"p90={p90:6.2f} ms  throughput={1000 * len(ordered) / sum(ordered):7.0f} calls/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    stack = Stack(StackOptions()).start()
    try:
        database = stack.publish(build_module(repo_root() / "projectors" / "reference"))
        http = database.http()
        http_samples: list[float] = []
        for event in events("run:bench-http:events", args.calls):
            started = time.perf_counter()
            http.call(database.name, "apply_event", list(event.reducer_args()))
            http_samples.append((time.perf_counter() - started) * 1000)
        ws_samples: list[float] = []
        with SpacetimeSubscriber.connect(database.url, database.name, database.owner.token,
                                         timeout=10) as socket:
            for event in events("run:bench-ws:events", args.calls):
                started = time.perf_counter()
                socket.call_reducer("apply_event", list(event.reducer_args()), timeout=10)
                ws_samples.append((time.perf_counter() - started) * 1000)
        print(summarize("HTTP", http_samples))
        print(summarize("WebSocket", ws_samples))
        print(f"ratio HTTP/WebSocket median: "
              f"{statistics.median(http_samples) / statistics.median(ws_samples):.2f}")
    finally:
        stack.close()


if __name__ == "__main__":
    main()
