"""Self-contained scenario IDs: the scenario itself, compressed, in a copy-pasteable string.

A seed is not enough to reproduce a failure here: the server's timing is not
deterministic, so regenerating from a seed need not find the same example.
The ID therefore carries the shrunk scenario: `stdb1.<property>.<base64url(zlib(JSON))>`.
`stdb1` versions the encoding; the property is in clear so a CI log is readable.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from harness.contract.canonical import canonical_json
from harness.errors import HarnessError
from harness.scenario.model import PROPERTIES, Scenario, with_id
from harness.scenario.steps import MalformedScenario

PREFIX = "stdb1"


class BadScenarioId(HarnessError):
    """An ID that is neither a curated scenario nor a decodable generated one."""


def encode(scenario: Scenario) -> str:
    """The ID of a generated scenario (its identity fields are not part of it)."""
    raw = canonical_json(scenario.to_json(with_identity=False)).encode("utf-8")
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")
    return f"{PREFIX}.{scenario.property}.{packed}"


def is_generated_id(text: str) -> bool:
    return text.startswith(PREFIX + ".")


def decode(scenario_id: str) -> Scenario:
    """The scenario an ID encodes, with the ID attached; BadScenarioId says what is wrong."""
    parts = scenario_id.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise BadScenarioId(f"{scenario_id[:60]!r} is not a scenario ID",
                            f"generated IDs look like {PREFIX}.<property>.<data>; "
                            "curated IDs are file names in scenarios/")
    _, prop, packed = parts
    if prop not in PROPERTIES:
        raise BadScenarioId(f"unknown property {prop!r} in scenario ID",
                            f"expected one of {', '.join(PROPERTIES)}")
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))
        scenario = Scenario.from_json(json.loads(raw))
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError) as exc:
        raise BadScenarioId(f"scenario ID data is damaged ({type(exc).__name__})",
                            "copy the whole ID from the log; it is one unbroken word") from exc
    except MalformedScenario as exc:  # decodes, but is not a scenario this harness can run
        raise BadScenarioId(f"scenario ID holds a malformed scenario: {exc.message}",
                            "an ID is printed by the harness; one made by another version "
                            "may use steps this one does not know") from exc
    if scenario.property != prop:
        raise BadScenarioId("scenario ID property does not match its data",
                            "copy the whole ID from the log")
    return with_id(scenario, scenario_id)
