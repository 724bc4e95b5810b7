"""The sync-token request matrix (CONTRACT.md T1-T3), as data, and random bodies beyond it.

Each `TokenCase` says how to set the service up (principal, org policy, minting, which
compatibility policy the case needs), what to send (method, route family, headers, body) and
what the contract expects back. `expect` lists every outcome the contract allows: usually one,
two where §7 does not fix which of two refusals comes first, none where §7 is silent (the case
then only tests parity, T5). The matrix is `MATRIX`: the hand-written `API_CASES`, each again
on the /api/v1 routes with the client build headers, and the `V1_CASES` about those headers.

`token_bodies()` generates further bodies, mixing valid and invalid fields, and
`generated_case` states what T3 expects of one of them: the nightly profile's wider net.

Readings of §7 taken here (where it names a thing without pinning it down):
* a body that breaks T2's shape (not JSON, not an object, a field of the wrong type) is 422
  `invalid_request`, the code T3 gives to the other malformed inputs;
* a requested stream is the S1 stream id of a requestable topic and needs that topic's scope.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from hypothesis import strategies as st

from harness.contract.streams import InvalidStreamIdError, stream_of, topic_of
from harness.contract.sync_tokens import (
    ALLOWED_SCOPES,
    BUILD_ID_HEADER,
    CLIENT_PROTOCOL_VERSION,
    CLIENT_SCHEMA_VERSION,
    DEFAULT_SCOPE,
    DEFAULT_TTL_SECONDS,
    MAX_TTL_SECONDS,
    MIN_TTL_SECONDS,
    PROTOCOL_HEADER,
    SCHEMA_HEADER,
    SCOPE_RUN_SUMMARIES,
    SCOPE_WORKER_EVENTS,
    SCOPE_WORKER_SUMMARIES,
    TOPIC_SUFFIX_SCOPES,
    ControlPolicy,
    ErrorCode,
    RouteFamily,
    refresh_after_in,
    topic_scope,
)
from harness.scenario.steps import Token, TokenBody


class Principal(StrEnum):
    """Who holds the bearer secret a case sends: a fresh member of a fresh org, always."""

    SESSION = "session"
    PAT = "pat"
    DEVICE_BOUND = "device-bound"  # a session bound to BOUND_DEVICE
    REVOKED_SESSION = "revoked-session"
    REVOKED_PAT = "revoked-pat"


BOUND_DEVICE: Final = "device-a"
BEARER: Final = "Bearer {secret}"  # the Authorization template; {secret} is the principal's


@dataclass(frozen=True)
class Outcome:
    """An answer's status and `error.code` (None on success; in an expectation, None also
    means any code: §7 names no code for some statuses)."""

    status: int
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}" if self.code else str(self.status)

    def admits(self, answer: Outcome) -> bool:
        """Whether `answer` is this expected outcome."""
        return answer.status == self.status and self.code in (None, answer.code)


OK: Final = Outcome(200)
UNAUTHORIZED: Final = Outcome(401, ErrorCode.UNAUTHORIZED)
FORBIDDEN: Final = Outcome(403, ErrorCode.FORBIDDEN)
INVALID_REQUEST: Final = Outcome(422, ErrorCode.INVALID_REQUEST)
INVALID_SCOPE: Final = Outcome(422, ErrorCode.INVALID_SCOPE)
INVALID_CLIENT_BUILD: Final = Outcome(426, ErrorCode.INVALID_CLIENT_BUILD)
UNAVAILABLE: Final = Outcome(503, ErrorCode.SYNC_TOKEN_UNAVAILABLE)
# T1 names each token route with its method, POST. A route asked with another method is
# there but does not allow it: 405 (RFC 9110 15.5.6), with whatever code; never the 404 a
# retired alias answers, which would make the two indistinguishable (T6).
NOT_ALLOWED: Final = Outcome(405)
OTHER_METHODS: Final = ("GET", "PUT", "DELETE")


@dataclass(frozen=True)
class TokenCase:
    """One request of the matrix, its set-up, and what the contract expects of the answer.

    `body` is sent as JSON, or verbatim when it is bytes (`b""`: no body at all).
    `authorization` is the header's template (None: no header). `rule` is the rule `expect`
    and `data` come from, so a miss cites it. `data` lists response fields a 200 must hold
    (lists compared without order). `compat_enforced` is the policy the case needs (None:
    either).
    """

    id: str
    body: Any = b""
    expect: tuple[Outcome, ...] = ()
    rule: str = "T3"
    data: Mapping[str, Any] = field(default_factory=dict)
    principal: Principal = Principal.SESSION
    authorization: str | None = BEARER
    headers: Mapping[str, str] = field(default_factory=dict)
    family: RouteFamily = RouteFamily.API
    method: str = "POST"
    org_denies: bool = False
    minting_unavailable: bool = False
    compat_enforced: bool | None = None

    def applies_to(self, policy: ControlPolicy, families: Collection[RouteFamily]) -> bool:
        """Whether a service with this policy and these route families can run the case."""
        wanted = self.compat_enforced
        return self.family in families and wanted in (None, policy.compat_enforced)


BUILD_HEADERS: Final[Mapping[str, str]] = {
    BUILD_ID_HEADER: "harness-1",
    PROTOCOL_HEADER: CLIENT_PROTOCOL_VERSION,
    SCHEMA_HEADER: CLIENT_SCHEMA_VERSION,
}


def _grants(kind: str, *names: str) -> list[dict[str, str]]:
    """Expected `granted_topics` / `granted_streams` entries, each with the scope it needs."""
    scopes = [topic_scope(n) if kind == "topic" else _stream_scope(n) for n in names]
    pairs = zip(names, scopes, strict=True)
    return [{kind: name, "required_scope": str(scope)} for name, scope in pairs]


def _stream_scope(stream: str) -> str | None:
    try:
        return topic_scope(topic_of(stream))
    except InvalidStreamIdError:
        return None


_DEFAULTS: Final = {
    "scopes": [DEFAULT_SCOPE],
    "expires_in": DEFAULT_TTL_SECONDS,
    "refresh_after_in": refresh_after_in(DEFAULT_TTL_SECONDS),
}
_WORKER_TOPIC: Final = "user:7:worker_events"
_FLEET_TOPIC: Final = "fleet:user:7:workers"
_RUNS_TOPIC: Final = "org:a.b:runs"  # the S1 fallback row: '.' is escaped in its stream id


def _ttl(seconds: int) -> dict[str, int]:
    return {"expires_in": seconds, "refresh_after_in": refresh_after_in(seconds)}


API_CASES: Final[tuple[TokenCase, ...]] = (
    # Valid requests, and T2's "every field optional".
    TokenCase("valid-empty-object", {}, (OK,), data=_DEFAULTS),
    TokenCase("valid-no-body", b"", (OK,), "T2", data=_DEFAULTS),
    TokenCase(
        "valid-every-field",
        {
            "scopes": list(ALLOWED_SCOPES),
            "topics": [_WORKER_TOPIC, _FLEET_TOPIC, _RUNS_TOPIC],
            "streams": [stream_of(_RUNS_TOPIC)],
            "ttl_seconds": 600,
            "device_id": "device-x",
        },
        (OK,),
        data={
            "scopes": list(ALLOWED_SCOPES),
            "granted_topics": _grants("topic", _WORKER_TOPIC, _FLEET_TOPIC, _RUNS_TOPIC),
            "granted_streams": _grants("stream", stream_of(_RUNS_TOPIC)),
            **_ttl(600),
        },
    ),
    TokenCase("pat", {}, (OK,), "T2", principal=Principal.PAT),
    TokenCase("pat-device-id", {"device_id": "device-x"}, (OK,), "T2",
              data={"device_id": "device-x"}, principal=Principal.PAT),
    # Scopes: each allowed one, several, the default.
    *(
        TokenCase(f"scope-{scope}", {"scopes": [scope]}, (OK,), data={"scopes": [scope]})
        for scope in ALLOWED_SCOPES
    ),
    TokenCase(
        "scopes-several",
        {"scopes": [SCOPE_WORKER_SUMMARIES, SCOPE_RUN_SUMMARIES]},
        (OK,),
        data={"scopes": [SCOPE_WORKER_SUMMARIES, SCOPE_RUN_SUMMARIES]},
    ),
    TokenCase(
        "scope-default", {"topics": [_WORKER_TOPIC]}, (OK,), data={"scopes": [DEFAULT_SCOPE]}
    ),
    TokenCase(
        "scopes-unsorted",
        {"scopes": [SCOPE_RUN_SUMMARIES, SCOPE_WORKER_EVENTS, SCOPE_WORKER_SUMMARIES]},
        (OK,),
        data={"scopes": [SCOPE_RUN_SUMMARIES, SCOPE_WORKER_EVENTS, SCOPE_WORKER_SUMMARIES]},
    ),
    TokenCase("scopes-duplicated", {"scopes": [SCOPE_RUN_SUMMARIES, SCOPE_RUN_SUMMARIES]},
              (OK,)),
    TokenCase("scope-padded", {"scopes": [f" {SCOPE_RUN_SUMMARIES} "]}, (INVALID_SCOPE,)),
    TokenCase("scope-unknown", {"scopes": ["runtime.nope"]}, (INVALID_SCOPE,)),
    TokenCase(
        "scope-unknown-among-allowed", {"scopes": [DEFAULT_SCOPE, "admin"]}, (INVALID_SCOPE,)
    ),
    TokenCase("scopes-not-a-list", {"scopes": DEFAULT_SCOPE}, (INVALID_REQUEST, INVALID_SCOPE)),
    # Topics: each suffix with its scope; a bad suffix; a scope not granted.
    *(
        TokenCase(
            f"topic-{suffix.strip(':')}",
            {"scopes": [scope], "topics": [topic]},
            (OK,),
            data={"granted_topics": _grants("topic", topic)},
        )
        for topic, suffix, scope in (
            (_WORKER_TOPIC, ":worker_events", SCOPE_WORKER_EVENTS),
            (_FLEET_TOPIC, ":workers", SCOPE_WORKER_SUMMARIES),
            (_RUNS_TOPIC, ":runs", SCOPE_RUN_SUMMARIES),
        )
    ),
    TokenCase("topic-bad-suffix", {"topics": ["run:1:events"]}, (INVALID_REQUEST,)),
    TokenCase("topic-scope-not-granted", {"topics": ["user:7:runs"]}, (INVALID_SCOPE,)),
    TokenCase("topics-not-strings", {"topics": [7]}, (INVALID_REQUEST,)),
    TokenCase("topic-quotes-and-backslash",  # only the suffix is checked (T3)
              {"scopes": [SCOPE_RUN_SUMMARIES], "topics": ['user:"7\\":runs']}, (OK,)),
    TokenCase("device-id-unicode", {"device_id": "gerät-ü \u2713"}, (OK,),
              data={"device_id": "gerät-ü \u2713"}),
    # Streams: by S1 stream id, needing their topic's scope.
    TokenCase(
        "stream-default-scope",
        {"streams": [stream_of(_WORKER_TOPIC)]},
        (OK,),
        data={"granted_streams": _grants("stream", stream_of(_WORKER_TOPIC))},
    ),
    TokenCase(
        "stream-fleet",
        {"scopes": [SCOPE_WORKER_SUMMARIES], "streams": [stream_of(_FLEET_TOPIC)]},
        (OK,),
        data={"granted_streams": _grants("stream", stream_of(_FLEET_TOPIC))},
    ),
    TokenCase(
        "stream-scope-not-granted", {"streams": [stream_of(_RUNS_TOPIC)]}, (INVALID_SCOPE,)
    ),
    TokenCase("stream-not-a-stream-id", {"streams": ["no such stream"]}),  # §7 is silent
    # TTL: at and past its bounds, the default, wrong types.
    TokenCase("ttl-59", {"ttl_seconds": 59}, (INVALID_REQUEST,)),
    TokenCase("ttl-60", {"ttl_seconds": 60}, (OK,), data=_ttl(60)),
    TokenCase("ttl-900", {"ttl_seconds": 900}, (OK,), data=_ttl(900)),
    TokenCase("ttl-901", {"ttl_seconds": 901}, (INVALID_REQUEST,)),
    TokenCase("ttl-default", {"scopes": [SCOPE_RUN_SUMMARIES]}, (OK,), data=_ttl(300)),
    TokenCase("ttl-string", {"ttl_seconds": "300"}, (INVALID_REQUEST,)),
    TokenCase("ttl-fraction", {"ttl_seconds": 300.5}, (INVALID_REQUEST,)),
    TokenCase("ttl-bool", {"ttl_seconds": True}, (INVALID_REQUEST,)),
    # Falsy and out-of-range values a `ttl or DEFAULT` would take for "not given".
    TokenCase("ttl-0", {"ttl_seconds": 0}, (INVALID_REQUEST,)),
    TokenCase("ttl-negative", {"ttl_seconds": -300}, (INVALID_REQUEST,)),
    TokenCase("ttl-false", {"ttl_seconds": False}, (INVALID_REQUEST,)),
    TokenCase("ttl-empty-string", {"ttl_seconds": ""}, (INVALID_REQUEST,)),
    TokenCase("ttl-empty-list", {"ttl_seconds": []}, (INVALID_REQUEST,)),
    TokenCase("ttl-null", {"ttl_seconds": None}),  # left out, or not an integer: §7 is silent
    # Bodies that break T2's shape.
    TokenCase("body-not-json", b"{", (INVALID_REQUEST,), "T2"),
    TokenCase("body-array", [], (INVALID_REQUEST,), "T2"),
    # Authentication.
    TokenCase("auth-none", {}, (UNAUTHORIZED,), authorization=None),
    TokenCase("auth-basic-scheme", {}, (UNAUTHORIZED,), authorization="Basic {secret}"),
    TokenCase("auth-bearer-without-secret", {}, (UNAUTHORIZED,), authorization="Bearer"),
    TokenCase("auth-secret-without-scheme", {}, (UNAUTHORIZED,), authorization="{secret}"),
    TokenCase("auth-unknown-secret", {}, (UNAUTHORIZED,), authorization="Bearer x{secret}"),
    TokenCase("auth-revoked-session", {}, (UNAUTHORIZED,), principal=Principal.REVOKED_SESSION),
    TokenCase("auth-revoked-pat", {}, (UNAUTHORIZED,), principal=Principal.REVOKED_PAT),
    # Devices, org policy, availability.
    TokenCase(
        "device-mismatch", {"device_id": "device-b"}, (FORBIDDEN,), principal=Principal.DEVICE_BOUND
    ),
    TokenCase(
        "device-bound-match",
        {"device_id": BOUND_DEVICE},
        (OK,),
        data={"device_id": BOUND_DEVICE},
        principal=Principal.DEVICE_BOUND,
    ),
    TokenCase("device-bound-absent", {}, (OK,), principal=Principal.DEVICE_BOUND),
    TokenCase("org-policy-denies", {}, (FORBIDDEN,), org_denies=True),
    TokenCase("pat-org-policy-denies", {}, (FORBIDDEN,), org_denies=True,
              principal=Principal.PAT),
    TokenCase("device-bound-org-policy-denies", {"device_id": BOUND_DEVICE}, (FORBIDDEN,),
              org_denies=True, principal=Principal.DEVICE_BOUND),
    # Which of two refusals comes first is not fixed by §7: either is conformant.
    TokenCase("auth-revoked-session-org-policy-denies", {}, (UNAUTHORIZED, FORBIDDEN),
              org_denies=True, principal=Principal.REVOKED_SESSION),
    TokenCase("auth-revoked-pat-device-id", {"device_id": "device-b"}, (UNAUTHORIZED,),
              principal=Principal.REVOKED_PAT),
    TokenCase("auth-none-org-policy-denies", {}, (UNAUTHORIZED, FORBIDDEN),
              authorization=None, org_denies=True),
    TokenCase("minting-unavailable", {}, (UNAVAILABLE,), minting_unavailable=True),
    TokenCase("pat-minting-unavailable", {}, (UNAVAILABLE,), minting_unavailable=True,
              principal=Principal.PAT),
    # Methods other than POST, with and without a live session.
    *(TokenCase(f"method-{method.lower()}", b"", (NOT_ALLOWED,), "T1", method=method)
      for method in OTHER_METHODS),
    TokenCase("method-put-no-auth", {}, (NOT_ALLOWED, UNAUTHORIZED), "T1",
              authorization=None, method="PUT"),
)


def on_v1(case: TokenCase) -> TokenCase:
    """The same case on the /api/v1 pair, with good build headers: it runs under either policy."""
    headers = {**BUILD_HEADERS, **case.headers}
    return dataclasses.replace(
        case, id=f"v1-{case.id}", family=RouteFamily.API_V1, headers=headers
    )


_WITHOUT = {name: {k: v for k, v in BUILD_HEADERS.items() if k != name} for name in BUILD_HEADERS}

V1_CASES: Final[tuple[TokenCase, ...]] = (
    *(dataclasses.replace(case, family=RouteFamily.API_V1, rule="T1") for case in (
        TokenCase("v1-no-build-headers", {}, (OK,), compat_enforced=False),
        TokenCase("v1-build-headers-enforced", {}, (OK,), headers=BUILD_HEADERS,
                  compat_enforced=True),
        TokenCase("v1-no-build-headers-enforced", {}, (INVALID_CLIENT_BUILD,),
                  compat_enforced=True),
        TokenCase("v1-no-build-id-enforced", {}, (INVALID_CLIENT_BUILD,),
                  headers=_WITHOUT[BUILD_ID_HEADER], compat_enforced=True),
        TokenCase("v1-wrong-protocol-enforced", {}, (INVALID_CLIENT_BUILD,),
                  headers={**BUILD_HEADERS, PROTOCOL_HEADER: "openagents.control.v0"},
                  compat_enforced=True),
        TokenCase("v1-wrong-schema-enforced", {}, (INVALID_CLIENT_BUILD,),
                  headers={**BUILD_HEADERS, SCHEMA_HEADER: "2"}, compat_enforced=True),
        # Which refusal comes first is not fixed by §7: either is conformant.
        TokenCase("v1-no-build-headers-no-auth-enforced", {},
                  (INVALID_CLIENT_BUILD, UNAUTHORIZED), authorization=None,
                  compat_enforced=True),
    )),
    # Enforcement is for the /api/v1 routes only.
    TokenCase("api-no-build-headers-enforced", {}, (OK,), "T1", compat_enforced=True),
)  # fmt: skip

MATRIX: Final[tuple[TokenCase, ...]] = (*API_CASES, *map(on_v1, API_CASES), *V1_CASES)


def cases_for(
    policy: ControlPolicy, families: Collection[RouteFamily], cases: Sequence[TokenCase] = MATRIX
) -> list[TokenCase]:
    """The cases a service with this policy and these route families can run."""
    return [case for case in cases if case.applies_to(policy, families)]


# Random bodies (the nightly profile). Topics are always valid E1 topics, so that whether one
# may be requested depends on its suffix alone, as T3 says.

_BAD_SUFFIXES: Final = (":events", ":lifecycle", ":run", ":worker_event", "")
_FIELDS: Final = frozenset({"scopes", "topics", "streams", "ttl_seconds", "device_id"})


def _topics(suffixes: Sequence[str]) -> st.SearchStrategy[str]:
    return st.builds(
        "{}:{}{}".format,
        st.sampled_from(["user", "fleet:user", "org", "run"]),
        st.text(alphabet="abc123-_.", min_size=1, max_size=6),
        st.sampled_from(suffixes),
    )


def token_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Request bodies, each field absent, valid or wrong (in form, type, range or scope)."""
    good_topics = _topics(tuple(TOPIC_SUFFIX_SCOPES))
    # Within canonical JSON's integers (E4), or the body could not be encoded in its ID.
    integers = st.integers(-(2**63), 2**64 - 1)
    not_a_list = st.one_of(
        st.sampled_from(ALLOWED_SCOPES), integers, st.lists(integers, min_size=1)
    )
    scope = st.sampled_from((*ALLOWED_SCOPES, "runtime.nope", "RUNTIME.RUN_SUMMARIES", ""))
    ttl = st.one_of(
        st.integers(MIN_TTL_SECONDS - 5, MAX_TTL_SECONDS + 5),
        st.sampled_from([MIN_TTL_SECONDS - 1, MIN_TTL_SECONDS, MAX_TTL_SECONDS,
                         MAX_TTL_SECONDS + 1, 0, -1]),
        st.booleans(),
        st.floats(MIN_TTL_SECONDS, MAX_TTL_SECONDS).filter(lambda x: not x.is_integer()),
        st.integers(MIN_TTL_SECONDS, MAX_TTL_SECONDS).map(str),
    )  # fmt: skip
    return st.fixed_dictionaries(
        {},
        optional={
            "scopes": st.one_of(st.lists(scope, min_size=1, max_size=4), not_a_list),
            "topics": st.one_of(
                st.lists(_topics((*TOPIC_SUFFIX_SCOPES, *_BAD_SUFFIXES)), max_size=3), not_a_list
            ),
            "streams": st.lists(good_topics.map(stream_of), max_size=2),
            "ttl_seconds": ttl,
            "device_id": st.text(alphabet="abcdef-0123456789", min_size=1, max_size=10),
        },
    )


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _strings(value: Any) -> list[str]:
    """The strings of a list field, to judge what it asks for even when its shape is wrong."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _judge(body: Mapping[str, Any]) -> tuple[bool, bool] | None:
    """(malformed, a scope refused) under T2/T3, or None where §7 does not decide."""
    if not set(body) <= _FIELDS or ("device_id" in body and not isinstance(body["device_id"], str)):
        return None
    scopes, topics, streams = (body.get(name, []) for name in ("scopes", "topics", "streams"))
    if "scopes" in body and scopes == []:
        return None  # absent means the default; an empty list is not said to
    if "ttl_seconds" in body and body["ttl_seconds"] is None:
        return None  # null: a field left out, or one not an integer? §7 does not say
    scopes_ok = _string_list(scopes)
    malformed = not (scopes_ok and _string_list(topics) and _string_list(streams))
    refused = not scopes_ok or any(scope not in ALLOWED_SCOPES for scope in scopes)
    granted = set(scopes or [DEFAULT_SCOPE]) if scopes_ok else set()
    for needed in (topic_scope(t) for t in _strings(topics)):
        malformed |= needed is None
        refused |= needed is not None and needed not in granted
    for needed in (_stream_scope(s) for s in _strings(streams)):
        if needed is None:
            return None
        refused |= needed not in granted
    ttl = body.get("ttl_seconds", DEFAULT_TTL_SECONDS)
    malformed |= type(ttl) is not int or not MIN_TTL_SECONDS <= ttl <= MAX_TTL_SECONDS
    return malformed, refused


def generated_case(body: Mapping[str, Any], case_id: str = "generated") -> TokenCase:
    """A generated body as a case: a member's session sends it on the /api pair.

    A malformed body must be refused with `invalid_request`; if it also asks for a scope
    it may not have, `invalid_scope` is as good (§7 fixes no order between the two).
    """
    judged = _judge(body)
    if judged is None:
        return TokenCase(case_id, dict(body))
    malformed, refused = judged
    if malformed:
        expect = (INVALID_REQUEST, INVALID_SCOPE) if refused else (INVALID_REQUEST,)
        return TokenCase(case_id, dict(body), expect)
    if refused:
        return TokenCase(case_id, dict(body), (INVALID_SCOPE,))
    ttl = body.get("ttl_seconds", DEFAULT_TTL_SECONDS)
    return TokenCase(case_id, dict(body), (OK,), data=_ttl(ttl))


CASES: Final[Mapping[str, TokenCase]] = {case.id: case for case in MATRIX}


def case_of(step: Token | TokenBody) -> TokenCase:
    """The matrix case a `Token` step names, or the case of a generated body."""
    match step:
        case TokenBody(body):
            return generated_case(body)
        case Token(case):
            return CASES[case]
