"""Hypothesis strategies for the module properties: journals plus a delivery plan.

A plan is a flat list of (action, topic number, amount) triples interpreted by plain
code, not a tree of nested strategies: Hypothesis shrinks a flat list well (drop a
triple, lower a number), so a failure shrinks to a handful of steps a person can read.
Every plan ends by delivering what is still undelivered, each topic in order and the
topics taking turns, so the database always holds the whole journal at the end (what G2's
"original" means), reached through an interleaving of its streams.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from harness.generators.options import Generation
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    AckAs,
    BadHash,
    ClearDatabase,
    Compact,
    Conflict,
    CrashRuntime,
    CrashSpacetimeDB,
    CutNetwork,
    Deliver,
    Event,
    Fault,
    FaultKind,
    HealNetwork,
    Intrude,
    Preempt,
    Rebuild,
    Resume,
    Settle,
    Step,
    ViaRuntime,
)

DEFAULT = Generation()

# Each family's kinds, some listed twice to be drawn twice as often: a run's steps and
# creations (several token counts, a second owner), a worker's comings online (several
# regions, several sessions); a run still ends often enough to have events after its end.
TOPIC_FAMILIES = (
    ("run:{}:events", ("run.created", "run.step", "run.completed", "run.cancelled",
                       "run.step", "run.created")),
    ("worker:{}:lifecycle", ("worker.online", "worker.heartbeat", "worker.offline",
                             "worker.online")),
    ("fleet:user:{}:workers", ("note",)),
    ("ops.{}:notes%", ("note",)),  # the fallback row of S1, with '.', ':' and '%'
)
# The projected families (runs, workers) drawn three times as often as the note families,
# so a journal often has two runs or two workers whose streams interleave (M5, G2: a fold
# that reads another stream's row has one to read).
FAMILY_DRAWS = (0, 1, 0, 1, 0, 1, 2, 3)

ACTIONS = ("next", "next", "next", "dup", "conflict", "ahead", "compact", "badhash", "intrude")

# Several values per field, so that one entity's history holds several regions, owners,
# outcomes and token counts: a fold that keeps the first value, or one picked by
# iteration order, differs from P1/P2's last-by-seq only when the values differ.
_REGIONS = ("eu", "us", "ap")
# Owners of every class of text (harness.checks.input_classes): plain, padded, quoted and
# escaped, non-ASCII, empty; a canonical form, a hash or a fold that mishandles one meets it.
_OWNERS = ("owner-0", " owner-1 ", 'owner "2" \\ two', "ownér-3 ✓", "", "owner-5")


def _payload(kind: str, amount: int) -> dict[str, Any]:
    payloads: dict[str, dict[str, Any]] = {
        "run.created": {"owner": _OWNERS[amount % len(_OWNERS)]},
        "run.step": {"tokens": amount},
        "run.completed": {"outcome": ("success", "failure")[amount % 2]},
        "run.cancelled": {"reason": f"stop-{amount % 2}"},
        "worker.online": {"region": _REGIONS[amount % len(_REGIONS)]},
        "worker.heartbeat": {},
        "worker.offline": {"reason": ("drain", "crash")[amount % 2]},
        "note": {"text": f"n{amount} ✓"},
    }
    return payloads[kind]


def conflicting_payload(event: Event, amount: int) -> dict[str, Any]:
    """A payload valid for `event`'s kind (P4) that differs from its own: another value
    of its fields, or the same with one more field. A conflict must reach E6's check, and
    an invalid payload is refused before it (M1 step 2)."""
    other = _payload(event.kind, amount)
    return other if other != event.payload else {**other, "forged": amount}


@st.composite
def journal_steps(draw: st.DrawFn, max_topics: int = 3, max_events: int = 6,
                  part: str = "") -> list[Event]:
    """`Event` steps over 1..max_topics topics of mixed families, often two of one family.
    `part` names the topics apart from those of other parts of a merged scenario."""
    families = draw(st.lists(st.sampled_from(FAMILY_DRAWS), min_size=1, max_size=max_topics))
    steps: list[Event] = []
    for number, family in enumerate(families):
        pattern, kinds = TOPIC_FAMILIES[family]
        topic = pattern.format(f"{part}t{number}")
        for kind, amount in draw(st.lists(st.tuples(st.sampled_from(kinds),
                                                    st.integers(0, 50)),
                                          min_size=1, max_size=max_events)):
            steps.append(Event(topic, kind, _payload(kind, amount)))
    return steps


def _heads(journal: list[Event]) -> dict[str, int]:
    heads: dict[str, int] = {}
    for step in journal:
        heads[step.topic] = heads.get(step.topic, 0) + 1
    return heads


def delivery_plan(journal: list[Event], plan: list[tuple[str, int, int]],
                  compaction: bool = True, forgeries_land: bool = True) -> list[Step]:
    """Interpret (action, topic number, amount) triples as delivery steps.

    A conflict's forged event lands when it is the stream's next one (the real event is
    then the conflict); without `forgeries_land` conflicts are of delivered events only,
    so the database ends holding exactly the journal (what a rebuild must reproduce)."""
    heads = _heads(journal)
    topics = sorted(heads)
    delivered = dict.fromkeys(topics, 0)
    steps: list[Step] = []
    for action, which, amount in plan:
        topic = topics[which % len(topics)]
        done, head = delivered[topic], heads[topic]
        if action == "next" and done < head:
            delivered[topic] += 1
            steps.append(Deliver(topic, done + 1))
        elif action == "dup" and done:
            steps.append(Deliver(topic, 1 + amount % done))
        elif action == "conflict" and (done or forgeries_land):
            # Mostly of a delivered event (E6's idempotency_conflict), else of any.
            seq = 1 + amount % (done if done and (amount % 3 or not forgeries_land) else head)
            original = [step for step in journal if step.topic == topic][seq - 1]
            steps.append(Conflict(topic, seq, conflicting_payload(original, amount)))
        elif action == "ahead" and done + 2 <= head:
            steps.append(Deliver(topic, done + 2))
        elif action == "compact" and compaction:
            steps.append(Compact(topic, amount % (done + 2)))  # done + 1: past head (M4)
        elif action == "badhash":
            steps.append(BadHash(topic, 1 + amount % head))
        elif action == "intrude":
            steps.append(Intrude("mallory", topic, 1 + amount % head))
    while any(delivered[topic] < heads[topic] for topic in topics):  # the rest, interleaved
        for topic in topics:
            if delivered[topic] < heads[topic]:
                delivered[topic] += 1
                steps.append(Deliver(topic, delivered[topic]))
    return steps


@st.composite
def closing_mistakes(draw: st.DrawFn, journal: list[Event]) -> list[Step]:
    """Once the whole journal is delivered: mostly a redelivery and a conflict of delivered
    events. A plan drawn at random often has neither in pr's few examples, and these are
    the two answers idempotence is about (M1.3's duplicate, E6's idempotency_conflict);
    each is drawn as a number that shrinks to 0, which leaves it out where it does not
    matter to a failure."""
    by_topic: dict[str, list[Event]] = {}
    for step in journal:
        by_topic.setdefault(step.topic, []).append(step)
    topics = sorted(by_topic)
    steps: list[Step] = []
    for mistake in ("dup", "conflict"):
        if not draw(st.integers(0, 3)):
            continue
        topic = topics[draw(st.integers(0, len(topics) - 1))]
        seq = draw(st.integers(1, len(by_topic[topic])))
        if mistake == "dup":
            steps.append(Deliver(topic, seq))
        else:
            steps.append(Conflict(topic, seq, conflicting_payload(by_topic[topic][seq - 1],
                                                                  draw(st.integers(0, 50)))))
    return steps


plans = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2), st.integers(0, 20)),
                 max_size=24)


def _part_name(number: int, parts: int) -> str:
    """The topic prefix of part `number`: none when there is one part, so pr's examples
    and their IDs stay what they were."""
    return f"p{number}" if parts > 1 else ""


@st.composite
def _delivered_parts(draw: st.DrawFn, options: Generation, forgeries_land: bool) -> list[Step]:
    """`options.parts` journals with their delivery plans, each in its own topics, one
    after the other: one database checks many examples (a nightly run would otherwise
    spend most of its time publishing a database for a handful of events); the streams
    are disjoint, so each part is judged as if it ran alone, by the same checkers."""
    steps: list[Step] = []
    journaled = 0
    for number in range(options.parts):
        journal = draw(journal_steps(part=_part_name(number, options.parts)))
        steps[journaled:journaled] = journal  # every Event first, as in a single part
        journaled += len(journal)
        steps += [*delivery_plan(journal, draw(plans), options.compaction, forgeries_land),
                  *draw(closing_mistakes(journal))]
    return steps


@st.composite
def idempotence_scenarios(draw: st.DrawFn, options: Generation = DEFAULT) -> Scenario:
    steps = draw(_delivered_parts(options, forgeries_land=True))
    if options.crashes and draw(st.booleans()):
        journaled = sum(isinstance(step, Event) for step in steps)
        steps.insert(draw(st.integers(journaled, len(steps))), CrashSpacetimeDB())
    return Scenario("idempotence", ("E6", "M1", "M2", "B1"), tuple(steps))


@st.composite
def rebuild_scenarios(draw: st.DrawFn, options: Generation = DEFAULT) -> Scenario:
    steps = draw(_delivered_parts(options, forgeries_land=False))
    if options.crashes and draw(st.booleans()):
        steps.append(CrashSpacetimeDB())
    seeds = draw(st.lists(st.integers(0, 2**16), min_size=1, max_size=2, unique=True))
    steps += [Rebuild(seed) for seed in seeds]
    return Scenario("rebuild", ("G2", "M5"), tuple(steps))


CURSOR_CLASSES = ("inside", "inside", "below_floor", "over_budget", "ahead", "zero")


def _cursor(kind: str, oldest: int, head: int, budget: int, amount: int) -> int:
    """A cursor of the requested class for a stream with this oldest seq, head, budget."""
    floor = oldest - 1
    if kind == "inside":
        low = max(floor, head - budget)
        return low + amount % (head - low + 1)
    if kind == "below_floor":
        return max(0, floor - 1 - amount % max(floor, 1))
    if kind == "over_budget":
        return max(0, head - budget - 1 - amount % 2)
    if kind == "ahead":
        return head + 1 + amount % 3
    return 0


@st.composite
def stale_cursor_scenarios(draw: st.DrawFn, options: Generation = DEFAULT) -> Scenario:
    """Deliver part of the journal, compact, resume clients with chosen cursors, go live."""
    journal = draw(journal_steps(max_topics=2, max_events=8))
    heads = _heads(journal)
    steps: list[Step] = list(journal)
    delivered: dict[str, int] = {}
    oldest: dict[str, int] = {}
    for topic, head in sorted(heads.items()):
        delivered[topic] = draw(st.integers(0, head))
        steps += [Deliver(topic, s) for s in range(1, delivered[topic] + 1)]
        through = draw(st.integers(0, delivered[topic] if options.compaction else 0))
        if through:
            steps.append(Compact(topic, through))
        oldest[topic] = through + 1
    for number, (kind, which, budget, amount) in enumerate(draw(st.lists(
            st.tuples(st.sampled_from(CURSOR_CLASSES), st.integers(0, 1), st.integers(0, 4),
                      st.integers(0, 9)), min_size=1, max_size=3))):
        topic = sorted(heads)[which % len(heads)]
        cursor = _cursor(kind, oldest[topic], delivered[topic], budget, amount)
        steps.append(Resume(f"c{number}", topic, cursor, budget))
    steps += draw(ack_pairs(heads, delivered)) if options.acks else []
    if options.acks and options.acks_name_client:
        # Every example: an ack the caller makes in another client's name (M6), at the
        # head, so that naming another is the only reason to refuse it.
        topic = sorted(heads)[0]
        steps.append(AckAs("c1", "c0", topic, delivered[topic]))
    for topic, head in sorted(heads.items()):  # live events after the resumes
        steps += [Deliver(topic, s) for s in range(delivered[topic] + 1, head + 1)]
    return Scenario("stale_cursor", ("R1", "R2", "R3", "R4"), tuple(steps))


ACK_MOVES = ("back", "same", "forward", "ahead")


@st.composite
def ack_pairs(draw: st.DrawFn, heads: dict[str, int], delivered: dict[str, int]) -> list[Step]:
    """Checkpoints in pairs, so that every clause of M6 is reached: the second ack of a pair
    moves back (checkpoint_regression), stays, moves forward, or passes the head
    (checkpoint_ahead_of_head), by the same client or by another one (whose checkpoint the
    first must not move)."""
    steps: list[Step] = []
    for client, other, which, first, move in draw(st.lists(st.tuples(
            st.integers(0, 1), st.booleans(), st.integers(0, 1), st.integers(0, 9),
            st.sampled_from(ACK_MOVES)), max_size=2)):
        topic = sorted(heads)[which % len(heads)]
        done = delivered[topic]
        seq = first % (done + 1)
        second = {"back": max(0, seq - 1), "same": seq, "forward": min(done, seq + 1),
                  "ahead": done + 1 + first % 2}[move]
        steps.append(Ack(f"c{client}", topic, seq))
        steps.append(Ack(f"c{client ^ int(other)}", topic, second))
    return steps


# What may happen before an appended event: a publisher fault armed, the publisher left to
# settle, the event pre-empted by a forged copy, the module's database cleared under the
# publisher, the runtime killed or cut off.
Nemesis = FaultKind | type[Settle | Preempt | ClearDatabase | CrashRuntime | CutNetwork
                           | HealNetwork]


def _crashes(action: Nemesis) -> bool:
    """Whether the action kills the runtime's process."""
    return action.crashes if isinstance(action, FaultKind) else action is CrashRuntime


def _nemesis_step(action: Nemesis, topic: str, seq: int, count: int) -> Step:
    """The step of `action`, drawn before the event (topic, seq) is appended."""
    if isinstance(action, FaultKind):
        return Fault(action, count)
    if issubclass(action, Preempt):  # the event about to be appended meets a conflict
        return Preempt(topic, seq, count)
    return action()


@st.composite
def runtime_scenarios(draw: st.DrawFn, options: Generation = DEFAULT) -> Scenario:
    """Events journaled by the stub runtime, with publisher faults armed in between and
    the harness writing to the module behind the publisher's back (a forged event first:
    idempotency_conflict; a cleared database: sequence_conflict, B3); with `containers`,
    also kill -9 of the runtime and a network cut to SpacetimeDB."""
    journal = draw(journal_steps(max_topics=3, max_events=5))
    order = draw(st.permutations(range(len(journal))))
    topics_seen: dict[str, int] = {}
    events: list[Event] = []
    for position in order:  # any interleaving of the topics, each topic in its own order
        topic = journal[position].topic
        mine = [step for step in journal if step.topic == topic]
        events.append(mine[topics_seen.get(topic, 0)])
        topics_seen[topic] = topics_seen.get(topic, 0) + 1
    nemesis: list[Nemesis] = [*FaultKind, Settle, Preempt, ClearDatabase]
    if options.runtime_crashes:
        nemesis += [CrashRuntime, CutNetwork, HealNetwork]
    if not options.publisher_crash_faults:  # a crash fault kills the runtime's process
        nemesis = [n for n in nemesis if not _crashes(n)]
    steps: list[Step] = [ViaRuntime()]
    appended: dict[str, int] = {}
    cut = False
    for event in events:
        for action, count in draw(st.lists(st.tuples(st.sampled_from(nemesis),
                                                     st.integers(1, 3)), max_size=1)):
            if action is ClearDatabase and cut:
                continue  # a publisher that cannot settle meets the clear nowhere known
            cut = action is CutNetwork or (cut and action is not HealNetwork)
            steps.append(_nemesis_step(action, event.topic, appended.get(event.topic, 0) + 1,
                                       count))
        steps.append(event)
        appended[event.topic] = appended.get(event.topic, 0) + 1
    return Scenario("idempotence", ("B1", "B2", "B3", "B5", "E2"), tuple(steps))
