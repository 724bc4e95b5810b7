"""T1-T6 judged over recorded token-route exchanges: a pure function, no I/O.

The drivers record; this module judges, so a stored run can be judged again without a service.
Per observation (one case sent to the canonical route, to its alias, and to the canonical route
once more) it checks:

* T3 (or the case's own rule, T1/T2): the canonical answer is an outcome the case allows, holds
  the fields the case expects, and a refusal has T3's error body;
* T4: every 200, on either route, is a well-formed token response whose JWT agrees with it;
* T5: the alias answered as the canonical route did: status, error code, then the body with
  the volatile fields masked and the JWT claims but iat/nbf/exp/jti (deepdiff, so the message
  names the field);
* T6, when the alias is declared retired: the alias answered 404, and the OpenAPI document
  does not list it; for an alias retired by start-up configuration, also as the service
  started (`retired_as_started`: every alias route, every method, before any set-up).

Volatile fields are also *learned*, as Diffy does: the two canonical answers to one request
show which fields vary on their own, and T5 sets a field aside where it does. `learned_noise`
lists those fields outside T5's declared volatile list as warnings for the harness's user: a
service whose answers vary there cannot be held to parity in that field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeGuard

import jwt
from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from harness.checks.verdict import Verdict, Violation, verdict
from harness.contract.sync_tokens import (
    CLAIMS,
    CLAIMS_VERSION,
    PROTOCOL_VERSION,
    RESPONSE_FIELDS,
    SUBJECT_PREFIX,
    TOKEN_TYPE,
    TRANSPORT,
    VOLATILE_CLAIMS,
    VOLATILE_FIELDS,
    ControlPolicy,
    refresh_after_in,
)
from harness.drivers.control import Exchange
from harness.generators.token_requests import OK, Outcome, TokenCase

PROPERTY: Final = "sync token routes"
MASK: Final = "<volatile>"
# T1 and T3 name these refusals; T3 gives each of them the same error body.
_REFUSALS: Final = frozenset({401, 403, 422, 426, 503})
_NOT_SERVED: Final = 404
# Parity compares the target with itself, so it holds for any service; T1-T4 and T6 are the
# reference contract's exact statuses, codes and fields (CONTRACT.md §9).
RELATIVE_RULES: Final = frozenset({"T5"})
_STRINGS: Final = ("token", "issuer", "audience", "subject", "org_id", "kid", "token_id",
                   "session_id")  # fmt: skip
_CONSTANTS: Final = {
    "token_type": TOKEN_TYPE,
    "transport": TRANSPORT,
    "protocol_version": PROTOCOL_VERSION,
    "claims_version": CLAIMS_VERSION,
}


@dataclass(frozen=True)
class Observation:
    """One case as the service answered it on both routes of its family."""

    case: TokenCase
    canonical: Exchange
    alias: Exchange
    canonical_again: Exchange | None = None  # a second canonical answer, for `learned_noise`


def check_token_parity(
    observations: Sequence[Observation],
    policy: ControlPolicy,
    *,
    openapi: Mapping[str, Any] | None = None,
    signing_key: bytes | None = None,
    volatile: frozenset[str] = frozenset(),
) -> Verdict:
    """The verdict on a run of token cases under the service's declared `policy`.

    `openapi` is the service's OpenAPI document (None: it has none); `signing_key` verifies
    token signatures (None: claims are judged, signatures are not); `volatile` names the
    fields the target declares to vary on their own, set aside by T5 as the learned ones are.
    """
    noisy = {path for _, path, _ in _noise(observations)} | volatile
    violations: list[Violation] = []
    for index, seen in enumerate(observations):
        found = [*_expected(seen.case, seen.canonical), *_t4(seen.canonical, signing_key)]
        if policy.alias_retired:
            found += _retired(seen.alias)
        else:
            found += [*_t4(seen.alias, signing_key), *_t5(seen.canonical, seen.alias, noisy)]
        # The alias against the canonical route (the target against itself) first: where
        # the alias also breaks an exact rule of §7, the parity break is the direct evidence.
        found.sort(key=lambda item: item[0] not in RELATIVE_RULES)
        violations += [Violation(rule, f"{seen.case.id}: {text}", index,
                                 relative=rule in RELATIVE_RULES,
                                 signature=_parity_signature(text) if rule in RELATIVE_RULES
                                 else "") for rule, text in found]
    rules = {"T3", "T4", *(seen.case.rule for seen in observations)}
    if policy.alias_retired:
        rules.add("T6")
        aliases = {seen.alias.path for seen in observations}
        violations += [Violation("T6", text) for text in _listed(openapi, aliases)]
    else:
        rules.add("T5")
    return verdict(PROPERTY, sorted(rules), violations)


def _parity_signature(text: str) -> str:
    """Where an alias departs from its canonical route, coarse enough to be the same defect
    in every case that shows it: its status, its error code, its `data` or its JWT claims
    (an alias that ignores ttl_seconds differs in two data fields of one answer)."""
    where = text.split(":", 1)[0]
    if where.startswith("JWT claim"):
        return "alias JWT claims differ"
    if where in ("status", "error code"):
        return f"alias {where} differs"
    return f"alias {where.split('.', 1)[0].split('[', 1)[0]} differs"


def retired_as_started(probes: Sequence[Exchange],
                       openapi: Mapping[str, Any] | None) -> list[Violation]:
    """T6 on a service started with its alias retired, as it started: each probe of an
    alias route (any method, no set-up) answered 404, and the document lists none of them."""
    found = [text for probe in probes for _, text in _retired(probe)]
    found += _listed(openapi, {probe.path for probe in probes})
    return [Violation("T6", f"as started: {text}") for text in found]


def learned_noise(observations: Sequence[Observation]) -> tuple[str, ...]:
    """Warnings: fields outside T5's volatile list that differ between two canonical answers."""
    return tuple(
        f"{case_id}: {path} differs between two canonical answers to one request ({detail}); "
        "it is not in T5's volatile list, so a T5 difference there may be noise"
        for case_id, path, detail in _noise(observations)
    )


def _noise(observations: Sequence[Observation]) -> Iterator[tuple[str, str, str]]:
    for seen in observations:
        if seen.canonical_again is not None:
            for path, detail in _differences(
                _view(seen.canonical), _view(seen.canonical_again), ("first", "second")
            ):
                yield seen.case.id, path, detail


Found = list[tuple[str, str]]  # (rule id, message) before the case id and index are attached


def _where(exchange: Exchange) -> str:
    return f"{exchange.method} {exchange.path}"


def _outcome(exchange: Exchange) -> Outcome:
    if exchange.status == OK.status:
        return OK
    error = exchange.body.get("error") if isinstance(exchange.body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return Outcome(exchange.status, code if isinstance(code, str) else None)


def _expected(case: TokenCase, exchange: Exchange) -> Found:
    """T3 (or the case's rule): the outcome the case allows, its fields, T3's error body."""
    found: Found = []
    outcome = _outcome(exchange)
    if case.expect and not any(wanted.admits(outcome) for wanted in case.expect):
        allowed = " or ".join(map(str, case.expect))
        missing_route = outcome.status == _NOT_SERVED and all(
            o.status != _NOT_SERVED for o in case.expect
        )
        found.append(("T1" if missing_route else case.rule,
                      f"{_where(exchange)} answered {outcome}, expected {allowed}"))
    if outcome == OK and case.data and isinstance(exchange.body, dict):
        data = exchange.body.get("data")
        data = data if isinstance(data, dict) else {}
        got = {name: data[name] for name in case.data if name in data}
        found += [
            (case.rule, f"{_where(exchange)}: {path}: {detail}")
            for path, detail in _differences(
                {"body": {"data": dict(case.data)}}, {"body": {"data": got}},
                ("expected", "answered"), ignore_order=True,
            )
        ]  # fmt: skip
    if exchange.status in _REFUSALS and not _is_error_body(exchange.body):
        found.append(("T3", f"{_where(exchange)}: the refusal's body is not "
                            f"{{message, error: {{code, message}}}}: {_short(exchange.body)}"))
    return found


def _is_error_body(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(body, dict)
        and isinstance(body.get("message"), str)
        and isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    )


def _retired(alias: Exchange) -> Found:
    if alias.status == _NOT_SERVED:
        return []
    return [("T6", f"{_where(alias)} answered {alias.status}; a retired alias answers 404 "
                   "to every request")]


def _listed(openapi: Mapping[str, Any] | None, aliases: set[str]) -> list[str]:
    paths = openapi.get("paths") if openapi is not None else None
    if not isinstance(paths, Mapping):
        return []
    return [f"the OpenAPI document lists the retired alias {alias}"
            for alias in sorted(aliases) if alias in paths]


# T4


def _t4(exchange: Exchange, key: bytes | None) -> Found:
    if exchange.status != OK.status:
        return []
    body = exchange.body
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return [("T4", f"{_where(exchange)}: a 200 body is not {{data: {{...}}}}: {_short(body)}")]
    problems = [*_fields(data), *_times(data), *_token(data, key)]
    return [("T4", f"{_where(exchange)}: {problem}") for problem in problems]


def _fields(data: Mapping[str, Any]) -> list[str]:
    problems = []
    missing = [name for name in RESPONSE_FIELDS if name not in data]
    if missing:
        problems.append(f"data lacks {', '.join(missing)}")
    problems += [
        f"data.{name} is {_short(data[name])}, T4 wants {value!r}"
        for name, value in _CONSTANTS.items() if name in data and data[name] != value
    ]  # fmt: skip
    problems += [f"data.{name} is {_short(data[name])}, not a string"
                 for name in _STRINGS if name in data and not isinstance(data[name], str)]
    problems += [f"data.{name} is {_short(data[name])}, not an integer"
                 for name in ("expires_in", "refresh_after_in")
                 if name in data and not _is_int(data[name])]
    if "device_id" in data and not isinstance(data["device_id"], str | None):
        problems.append(f"data.device_id is {_short(data['device_id'])}, not a string or null")
    if "scopes" in data and not _is_string_list(data["scopes"]):
        problems.append(f"data.scopes is {_short(data['scopes'])}, not a list of strings")
    for name, key in (("granted_topics", "topic"), ("granted_streams", "stream")):
        if name in data and not _is_grant_list(data[name], key):
            problems.append(f"data.{name} is {_short(data[name])}, not a list of "
                            f"{{{key}, required_scope}}")
    subject = data.get("subject")
    if isinstance(subject, str) and not (
        subject.startswith(SUBJECT_PREFIX) and len(subject) > len(SUBJECT_PREFIX)
    ):
        problems.append(f"data.subject is {subject!r}, not user:<uid>")
    ttl, refresh = data.get("expires_in"), data.get("refresh_after_in")
    if _is_int(ttl) and _is_int(refresh) and refresh != refresh_after_in(ttl):
        problems.append(f"data.refresh_after_in is {refresh}, T4 wants max(expires_in - 30, 1) "
                        f"= {refresh_after_in(ttl)}")
    return problems


def _times(data: Mapping[str, Any]) -> list[str]:
    """issued_at, refresh_after and expires_at: RFC 3339, and as far apart as the `_in`s say."""
    stamps = {name: _epoch(data.get(name)) for name in ("issued_at", "refresh_after", "expires_at")}
    problems = [f"data.{name} is {_short(data.get(name))}, not an RFC 3339 time with an offset"
                for name, stamp in stamps.items() if name in data and stamp is None]
    issued = stamps["issued_at"]
    for name, span in (("refresh_after", "refresh_after_in"), ("expires_at", "expires_in")):
        stamp, seconds = stamps[name], data.get(span)
        if issued is not None and stamp is not None and _is_int(seconds) and \
                stamp - issued != seconds:  # fmt: skip
            problems.append(f"data.{name} is {stamp - issued} s after issued_at, "
                            f"data.{span} says {seconds}")
    return problems


def _token(data: Mapping[str, Any], key: bytes | None) -> list[str]:
    token = data.get("token")
    if not isinstance(token, str):
        return []
    try:
        header = jwt.get_unverified_header(token)
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        return [f"data.token is not a JWT ({error})"]
    problems = []
    if header.get("alg") != "HS256":
        problems.append(f"the JWT header's alg is {header.get('alg')!r}, not 'HS256'")
    if header.get("kid") != data.get("kid"):
        problems.append(f"the JWT header's kid is {header.get('kid')!r}, "
                        f"data.kid is {data.get('kid')!r}")
    if key is not None and not _signed_with(token, key):
        problems.append("the JWT's signature does not verify with the declared key")
    missing = [name for name in CLAIMS if name not in claims]
    if missing:
        problems.append(f"the JWT lacks claims {', '.join(missing)}")
    return problems + _claim_relations(claims, data)


def _signed_with(token: str, key: bytes) -> bool:
    # Only the signature: times and audience are judged against the response, not the clock,
    # so a stored run can be judged again after its tokens have expired.
    try:
        jwt.decode(token, key, algorithms=["HS256"], options={
            "verify_exp": False, "verify_nbf": False, "verify_iat": False,
            "verify_aud": False, "verify_iss": False,
        })  # fmt: skip
    except jwt.InvalidSignatureError:
        return False
    return True


def _claim_relations(claims: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    """nbf = iat, exp = iat + expires_in, jti = token_id, and each claim equal to its field."""
    iat, subject = claims.get("iat"), data.get("subject")
    wanted: dict[str, tuple[str, Any]] = {
        "nbf": ("iat", iat),
        "jti": ("data.token_id", data.get("token_id")),
        "iss": ("data.issuer", data.get("issuer")),
        "aud": ("data.audience", data.get("audience")),
        "sub": ("data.subject", subject),
        "oa_org_id": ("data.org_id", data.get("org_id")),
        "oa_session_id": ("data.session_id", data.get("session_id")),
        "oa_device_id": ("data.device_id", data.get("device_id")),
        "oa_sync_scopes": ("data.scopes", data.get("scopes")),
        "oa_sync_topics": ("data.granted_topics", _granted(data.get("granted_topics"), "topic")),
        "oa_sync_streams": ("data.granted_streams",
                            _granted(data.get("granted_streams"), "stream")),
        "oa_claims_version": ("T4", CLAIMS_VERSION),
    }
    if isinstance(subject, str) and subject.startswith(SUBJECT_PREFIX):
        wanted["oa_user_id"] = ("the uid in data.subject", subject[len(SUBJECT_PREFIX):])
    if _is_int(iat) and _is_int(data.get("expires_in")):
        wanted["exp"] = ("iat + data.expires_in", iat + data["expires_in"])
    issued = _epoch(data.get("issued_at"))
    if issued is not None:
        wanted["iat"] = ("data.issued_at", issued)
    return [
        f"claim {name} is {_short(claims[name])}, {source} is {_short(value)}"
        for name, (source, value) in wanted.items()
        if name in claims and claims[name] != value
    ]


def _granted(grants: Any, key: str) -> Any:
    """The names in a grant list, as the matching claim lists them."""
    return [grant[key] for grant in grants] if _is_grant_list(grants, key) else grants


def _is_int(value: Any) -> TypeGuard[int]:
    return type(value) is int


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_grant_list(value: Any, key: str) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, dict) and isinstance(item.get(key), str)
        and isinstance(item.get("required_scope"), str)
        for item in value
    )  # fmt: skip


def _epoch(value: Any) -> int | None:
    """Seconds since the epoch of an RFC 3339 time with an offset, or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return int(moment.timestamp()) if moment.tzinfo is not None else None


# T5


def _t5(canonical: Exchange, alias: Exchange, noisy: set[str]) -> Found:
    first, second = _outcome(canonical), _outcome(alias)
    if first.status != second.status:
        return [("T5", f"status: {_where(canonical)} {first.status}, "
                       f"{_where(alias)} {second.status}")]
    if first.code != second.code:
        return [("T5", f"error code: {_where(canonical)} {first.code}, "
                       f"{_where(alias)} {second.code}")]
    return [("T5", f"{path}: {detail}") for path, detail in
            _differences(_view(canonical), _view(alias), ("canonical", "alias"))
            if path not in noisy]


def _view(exchange: Exchange) -> dict[str, Any]:
    """What T5 compares: status, body with volatile fields masked, claims but volatile ones."""
    body = exchange.body
    view: dict[str, Any] = {"status": exchange.status, "body": body, "text": exchange.text}
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return view
    view["body"] = {**body, "data": {k: MASK if k in VOLATILE_FIELDS else v
                                     for k, v in data.items()}}
    token = data.get("token")
    claims: Any = None
    try:
        claims = (jwt.decode(token, options={"verify_signature": False})
                  if isinstance(token, str) else None)
    except jwt.PyJWTError:
        claims = "<not a JWT>"
    if isinstance(claims, dict):
        claims = {k: v for k, v in claims.items() if k not in VOLATILE_CLAIMS}
    view["claims"] = claims
    return view


def _differences(
    first: Any, second: Any, names: tuple[str, str], *, ignore_order: bool = False
) -> list[tuple[str, str]]:
    """(path, what differs) for each difference deepdiff finds between two documents."""
    found = []
    for levels in DeepDiff(first, second, view="tree", ignore_order=ignore_order).values():
        for level in levels:
            path = _path(level.path(output_format="list"))
            if level.t1 is notpresent:
                detail = f"only {names[1]} has it ({_short(level.t2)})"
            elif level.t2 is notpresent:
                detail = f"only {names[0]} has it ({_short(level.t1)})"
            else:
                detail = f"{names[0]} {_short(level.t1)}, {names[1]} {_short(level.t2)}"
            found.append((path, detail))
    return sorted(found)


def _path(parts: list[Any]) -> str:
    """`data.expires_in`, `JWT claim oa_device_id`, `body text` rather than deepdiff's root[...]."""
    head, rest = (parts[0], parts[1:]) if parts else ("", [])
    tail = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest)
    if head == "claims":
        return f"JWT claim {tail.lstrip('.')}" if tail else "JWT claims"
    if head == "text":
        return "body text"
    return tail.lstrip(".") or str(head)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
