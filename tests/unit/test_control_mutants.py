"""The control mutants: declared as the service's own list, and each new one departs from the
canonical route on its edge inputs of the harness's request matrix and on nothing else.

Every case is answered in-process (`dispatch`, no socket) by one service whose clock and token
ids are fixed, so the canonical route and the reference alias answer byte for byte alike and
any difference is the mutant's. Whether the harness catches the mutants against the real
container is the mutant run's job (`stdb-harness mutants`).
"""

# Test names carry the contract's rule ids (T5), upper case as CONTRACT.md spells them.

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.config.load import load_config
from harness.generators.token_requests import API_CASES, Principal, TokenCase
from stub.control.http import App, Request, dispatch
from stub.control.mutants import ALIAS_MUTANTS
from stub.control.state import ControlState
from tests.unit.test_control_support import ALIAS, CANONICAL, SETTINGS, V1_ALIAS, V1_CANONICAL

REPO = Path(__file__).resolve().parents[2]
PAIRS = [(CANONICAL, ALIAS), (V1_CANONICAL, V1_ALIAS)]


def _plain(case: TokenCase) -> bool:
    """A case one member's live session sends by POST to a service with no toggles set: what
    this file can replay as it stands; the rest differ only in set-up, not in body."""
    return (case.principal is Principal.SESSION and case.authorization is not None
            and case.authorization.startswith("Bearer {") and case.method == "POST"
            and not (case.org_denies or case.minting_unavailable or case.headers))


PLAIN_CASES = [case for case in API_CASES if _plain(case)]

# The matrix cases on which each new mutant's alias departs from the canonical route: its
# slip's edge inputs, and no other case (the reference departs on none).
DEPARTS_ON = {
    "": set(),
    "alias-falsy-ttl-default": {"ttl-0", "ttl-false", "ttl-empty-string", "ttl-empty-list"},
    "alias-sorts-scopes": {"scopes-unsorted"},
    "alias-strips-whitespace": {"scope-padded"},
}


def _answer(app: App, path: str, bearer: str, body: Any) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = Request("POST", path, {"authorization": f"Bearer {bearer}"}, raw)
    response = dispatch(app, request)
    return response.status, response.body


def _both_routes(mutant: str, body: Any, pair: tuple[str, str]) -> list[tuple[int, Any]]:
    """The canonical answer, then the alias's, to `body` sent with a fresh member's session."""
    state = ControlState()
    user_id, org_id = state.add_user(), state.add_org()
    state.set_member(org_id, user_id, "member")
    bearer = state.open_session(user_id, org_id, None)[1]
    app = App(state, SETTINGS, clock=lambda: 1_700_000_000.0,
              new_token_id=lambda: "token-1", mutant=mutant)
    return [_answer(app, path, bearer, body) for path in pair]


def test_control_mutants_declared_in_the_config_are_the_service_s_own_list() -> None:
    config = load_config(None, REPO)
    layer = [m for m in config.mutants.values() if m.layer == "control"]
    assert [m.name for m in layer] == list(ALIAS_MUTANTS)
    for entry in layer:
        assert entry.overrides == {"control.env": {"CONTROL_MUTANT": entry.name}}
        assert entry.rules == ("T5",)


def test_the_plain_cases_hold_every_edge_input_the_mutants_depart_on() -> None:
    assert set().union(*DEPARTS_ON.values()) <= {case.id for case in PLAIN_CASES}


@pytest.mark.parametrize("pair", PAIRS, ids=["api", "api-v1"])
@pytest.mark.parametrize("mutant", DEPARTS_ON, ids=[name or "reference" for name in DEPARTS_ON])
def test_T5_the_alias_departs_exactly_on_its_edge_inputs(mutant: str,
                                                         pair: tuple[str, str]) -> None:
    departs = {case.id for case in PLAIN_CASES
               if len({json.dumps(seen) for seen in _both_routes(mutant, case.body, pair)}) > 1}
    assert departs == DEPARTS_ON[mutant]


@pytest.mark.parametrize("ttl", [0, False, "", []], ids=repr)
def test_T5_a_falsy_ttl_is_refused_on_the_canonical_route_and_defaulted_on_the_alias(
        ttl: Any) -> None:
    canonical, alias = _both_routes("alias-falsy-ttl-default", {"ttl_seconds": ttl},
                                    (CANONICAL, ALIAS))
    assert (canonical[0], canonical[1]["error"]["code"]) == (422, "invalid_request")
    assert (alias[0], alias[1]["data"]["expires_in"]) == (200, 300)


def test_T5_unsorted_scopes_are_granted_in_another_order_on_the_alias() -> None:
    asked = ["runtime.run_summaries", "runtime.codex_worker_events", "runtime.run_summaries"]
    canonical, alias = _both_routes("alias-sorts-scopes", {"scopes": asked}, (CANONICAL, ALIAS))
    assert canonical[1]["data"]["scopes"] == ["runtime.run_summaries",
                                              "runtime.codex_worker_events"]
    assert alias[1]["data"]["scopes"] == ["runtime.codex_worker_events",
                                          "runtime.run_summaries"]


@pytest.mark.parametrize(("body", "refused"), [
    ({"scopes": [" runtime.run_summaries "]}, (422, "invalid_scope")),
    ({"topics": ["user:7:worker_events\t"]}, (422, "invalid_request")),
], ids=["scope", "topic"])
def test_T5_a_padded_string_is_refused_on_the_canonical_route_and_granted_on_the_alias(
        body: dict[str, Any], refused: tuple[int, str]) -> None:
    canonical, alias = _both_routes("alias-strips-whitespace", body, (CANONICAL, ALIAS))
    assert (canonical[0], canonical[1]["error"]["code"]) == refused
    assert alias[0] == 200


def test_T5_a_padded_device_id_is_bound_without_its_spaces_on_the_alias() -> None:
    canonical, alias = _both_routes("alias-strips-whitespace", {"device_id": " device-x "},
                                    (CANONICAL, ALIAS))
    assert canonical[1]["data"]["device_id"] == " device-x "
    assert alias[1]["data"]["device_id"] == "device-x"
