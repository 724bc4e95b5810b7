"""HTTP client for a control service: its token routes and the reference's admin API.

The two halves fail differently on purpose. A token route's answer is evidence: `mint` and
`request` return an `Exchange` for whatever status comes back and leave judging to the
checkers (harness/checks/token_parity.py), which can then run again on the stored record.
An admin call sets the stage: if it is refused, the test that follows would prove nothing, so
it raises `AdminRefused`, a harness error, never a verdict. No answer at all is
`ControlUnavailable`, also a harness error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import RemoteDisconnected
from typing import Any, Final

import requests
from urllib3.exceptions import ProtocolError

from harness.errors import HarnessError

# The answer headers a verdict or a reader of the record may need; the rest (Date, Server,
# Content-Length) differs between any two answers and says nothing about the contract.
RECORDED_HEADERS: Final = ("content-type", "cache-control", "allow", "www-authenticate")
_ADMIN: Final = "/_admin"


class ControlUnavailable(HarnessError):
    """The control service gave no HTTP answer (refused, reset or timed out)."""


class AdminRefused(HarnessError):
    """An admin call did not do what the harness asked: the stage is not set."""


@dataclass(frozen=True)
class Exchange:
    """One request to a control service and its answer, as recorded.

    `body` is the parsed JSON answer, or None when the answer is not JSON; `text` then holds
    it verbatim (an empty string for an empty body).
    """

    method: str
    path: str
    status: int
    body: Any
    text: str | None
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Credential:
    """A session or personal access token the admin API opened, with its bearer secret."""

    session_id: str
    access_token: str
    user_id: str
    org_id: str
    device_id: str | None


@dataclass(frozen=True)
class Toggles:
    """The reference service's switches, as `/_admin/toggles` reports them."""

    minting_unavailable: bool
    alias_retired: bool
    compat_enforced: bool


def _record(method: str, path: str, response: requests.Response) -> Exchange:
    try:
        body, text = response.json(), None
    except ValueError:  # not JSON, including an empty body
        body, text = None, response.text
    kept = response.headers
    headers = {name: kept[name] for name in RECORDED_HEADERS if name in kept}
    return Exchange(method, path, response.status_code, body, text, headers)


class ControlClient:
    """One control service over HTTP; every call has a timeout."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = self._new_session()
        self._reused = False  # the session holds a connection an earlier request opened

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        # A local test service: a proxy from the environment must not intercept the traffic.
        session.trust_env = False
        return session

    def close(self) -> None:
        self._session.close()

    def _send(self, method: str, url: str, data: bytes,
              headers: Mapping[str, str]) -> requests.Response:
        """One request; sent again, once, on a fresh connection when a kept-alive one was
        closed by the server between requests.

        A server may close an idle or spent keep-alive connection at any moment (an idle
        timeout; hyper closes a connection whose request body a handler left unread,
        without `Connection: close`), and the client learns it only when its next request
        on that connection gets no answer at all. Nothing was answered, so nothing was
        done: sending it again on a new connection is what browsers and Go's client do,
        and it is never the service's failure nor the harness's. A connection refused, a
        timeout, or a dropped *fresh* connection is still an error."""
        try:
            response = self._session.request(method, url, data=data, headers=dict(headers),
                                             timeout=self.timeout)
        except requests.ConnectionError as error:
            if not (self._reused and _closed_before_answer(error)):
                raise
            self._session.close()
            self._session = self._new_session()
            self._reused = False
            response = self._session.request(method, url, data=data, headers=dict(headers),
                                             timeout=self.timeout)
        self._reused = True
        return response

    def request(
        self,
        method: str,
        path: str,
        *,
        bearer: str | None = None,
        body: Any | bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Send one request and record the answer, whatever its status.

        `body` is sent as JSON unless it is bytes, which go as they are (`b""`: no body), so
        a malformed body can be sent on purpose. `bearer` becomes `Authorization: Bearer
        <bearer>`; an `authorization` entry in `headers` wins, for malformed credentials.
        """
        sent = {"authorization": f"Bearer {bearer}"} if bearer is not None else {}
        sent.update({name.lower(): value for name, value in (headers or {}).items()})
        if isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode("utf-8")
            sent.setdefault("content-type", "application/json")
        try:
            response = self._send(method, self.base_url + path, data, sent)
        except requests.RequestException as error:
            raise ControlUnavailable(
                f"{method} {self.base_url}{path}: no answer ({error})",
                "check that the control service is running and reachable from the harness",
            ) from error
        return _record(method, path, response)

    def mint(
        self,
        route_path: str,
        bearer: str | None = None,
        body: Any | bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """POST to a token route (CONTRACT.md T1-T4) and record the answer."""
        return self.request("POST", route_path, bearer=bearer, body=body, headers=headers)

    def _admin(self, method: str, path: str, document: Mapping[str, Any]) -> dict[str, Any]:
        exchange = self.request(method, _ADMIN + path, body=dict(document))
        if exchange.status not in (200, 201) or not isinstance(exchange.body, dict):
            raise AdminRefused(
                f"{method} {_ADMIN}{path} {dict(document)} answered {exchange.status}: "
                f"{exchange.body if exchange.body is not None else exchange.text}",
                "the admin API is the reference service's; another service needs its own adapter",
            )
        return exchange.body

    def reset(self) -> None:
        """Forget every user, org, session and PAT; toggles return to their startup values."""
        self._admin("POST", "/reset", {})

    def create_user(self, user_id: str | None = None) -> str:
        answer = self._admin("POST", "/users", {"user_id": user_id} if user_id else {})
        return str(answer["user_id"])

    def create_org(self, org_id: str | None = None) -> str:
        answer = self._admin("POST", "/orgs", {"org_id": org_id} if org_id else {})
        return str(answer["org_id"])

    def add_member(self, org_id: str, user_id: str, role: str = "member") -> None:
        self._admin("POST", "/memberships", {"org_id": org_id, "user_id": user_id, "role": role})

    def open_session(self, user_id: str, org_id: str, device_id: str | None = None) -> Credential:
        """A session of a member; with `device_id` it is bound to that device."""
        document = {"user_id": user_id, "org_id": org_id}
        if device_id is not None:
            document["device_id"] = device_id
        return _credential(self._admin("POST", "/sessions", document))

    def issue_pat(self, user_id: str, org_id: str) -> Credential:
        """A personal access token: a session whose id starts `pat:` (T2)."""
        return _credential(self._admin("POST", "/pats", {"user_id": user_id, "org_id": org_id}))

    def revoke(self, session_id: str) -> None:
        self._admin("POST", "/revocations", {"session_id": session_id})

    def set_org_policy(self, org_id: str, *, deny_sync_tokens: bool) -> None:
        self._admin(
            "POST", "/org-policy", {"org_id": org_id, "deny_sync_tokens": deny_sync_tokens}
        )

    def toggles(self) -> Toggles:
        return _toggles(self._admin("GET", "/toggles", {}))

    def set_toggles(
        self,
        *,
        minting_unavailable: bool | None = None,
        alias_retired: bool | None = None,
        compat_enforced: bool | None = None,
    ) -> Toggles:
        """Set the given switches (None keeps one); returns the switches now in force."""
        given = {
            "minting_unavailable": minting_unavailable,
            "alias_retired": alias_retired,
            "compat_enforced": compat_enforced,
        }
        document = {name: value for name, value in given.items() if value is not None}
        return _toggles(self._admin("POST", "/toggles", document))


def _closed_before_answer(error: BaseException) -> bool:
    """Whether a request failed because the server closed its connection before any answer
    (not because nothing listens, or the answer was too slow)."""
    seen: BaseException | None = error
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, RemoteDisconnected | ConnectionResetError | BrokenPipeError):
            return True
        if isinstance(seen, ProtocolError) and "aborted" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__ or next(
            (arg for arg in getattr(seen, "args", ()) if isinstance(arg, BaseException)), None)
    return False


def _credential(answer: Mapping[str, Any]) -> Credential:
    device_id = answer.get("device_id")
    return Credential(
        session_id=str(answer["session_id"]),
        access_token=str(answer["access_token"]),
        user_id=str(answer["user_id"]),
        org_id=str(answer["org_id"]),
        device_id=device_id if isinstance(device_id, str) else None,
    )


def _toggles(answer: Mapping[str, Any]) -> Toggles:
    return Toggles(
        minting_unavailable=answer["minting_unavailable"] is True,
        alias_retired=answer["alias_retired"] is True,
        compat_enforced=answer["compat_enforced"] is True,
    )
