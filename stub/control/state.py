"""What the control service knows: users, orgs and their members, sessions, PATs, toggles.

Everything the token rules consult lives here, behind one lock, so the HTTP server's threads and
the admin API see one consistent state. The token rules only read it; the admin API (admin.py)
is the only writer. No rule of CONTRACT.md §7 depends on a member's role: roles are kept so the
harness can seed realistic orgs and so a future rule has somewhere to look.
"""

from __future__ import annotations

import dataclasses
import itertools
import secrets
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final, Literal

Role = Literal["owner", "admin", "member", "viewer"]
ROLES: Final[tuple[Role, ...]] = ("owner", "admin", "member", "viewer")
PAT_PREFIX: Final = "pat:"


@dataclass(frozen=True)
class Toggles:
    """Service-wide switches the harness flips to reach T1's, T3's and T6's branches."""

    minting_unavailable: bool = False  # T3: every otherwise valid mint answers 503
    alias_retired: bool = False  # T6: alias routes answer 404 and leave the OpenAPI document
    compat_enforced: bool = False  # T1: /api/v1 routes require the client build headers


@dataclass(frozen=True)
class Session:
    """An authenticated session; a personal access token is a session whose id starts `pat:`."""

    session_id: str
    user_id: str
    org_id: str
    device_id: str | None
    revoked: bool = False


@dataclass
class Org:
    org_id: str
    members: dict[str, Role] = field(default_factory=dict)
    deny_sync_tokens: bool = False


class StateError(Exception):
    """A refused admin change; the message says which entity and why."""


class NotFoundError(StateError):
    """The change names a user, org or session that does not exist."""


class ConflictError(StateError):
    """The change contradicts the state: a duplicate id, or a session for a non-member."""


class ControlState:
    """The service's whole mutable state. Every method is atomic."""

    def __init__(self, toggles: Toggles | None = None) -> None:
        self._lock = threading.Lock()
        self._startup_toggles = toggles or Toggles()
        self._clear()

    def _clear(self) -> None:
        self._toggles = self._startup_toggles
        self._users: set[str] = set()
        self._orgs: dict[str, Org] = {}
        self._sessions: dict[str, Session] = {}
        self._bearers: dict[str, str] = {}  # bearer secret -> session id
        self._serial = itertools.count(1)

    def reset(self) -> None:
        """Forget every entity and return the toggles to their startup values."""
        with self._lock:
            self._clear()

    @property
    def toggles(self) -> Toggles:
        return self._toggles

    def update_toggles(
        self,
        *,
        minting_unavailable: bool | None = None,
        alias_retired: bool | None = None,
        compat_enforced: bool | None = None,
    ) -> Toggles:
        """Set the given switches, keep the others; returns the switches now in force."""
        given = {
            "minting_unavailable": minting_unavailable,
            "alias_retired": alias_retired,
            "compat_enforced": compat_enforced,
        }
        with self._lock:
            current = dataclasses.asdict(self._toggles)
            current.update({name: value for name, value in given.items() if value is not None})
            self._toggles = Toggles(**current)
            return self._toggles

    def _fresh_id(self, prefix: str, taken: Collection[str]) -> str:
        """A generated id: serial numbers keep seeded states reproducible across runs."""
        while True:
            candidate = f"{prefix}{next(self._serial)}"
            if candidate not in taken:
                return candidate

    def add_user(self, user_id: str | None = None) -> str:
        with self._lock:
            user_id = user_id or self._fresh_id("user-", self._users)
            if user_id in self._users:
                raise ConflictError(f"user {user_id} already exists")
            self._users.add(user_id)
            return user_id

    def add_org(self, org_id: str | None = None) -> str:
        with self._lock:
            org_id = org_id or self._fresh_id("org-", self._orgs)
            if org_id in self._orgs:
                raise ConflictError(f"org {org_id} already exists")
            self._orgs[org_id] = Org(org_id)
            return org_id

    def set_member(self, org_id: str, user_id: str, role: Role) -> None:
        """Make `user_id` a member of `org_id` with `role`, replacing any earlier role."""
        with self._lock:
            self._require_user(user_id)
            self._require_org(org_id).members[user_id] = role

    def set_org_policy(self, org_id: str, *, deny_sync_tokens: bool) -> None:
        with self._lock:
            self._require_org(org_id).deny_sync_tokens = deny_sync_tokens

    def open_session(
        self, user_id: str, org_id: str, device_id: str | None = None
    ) -> tuple[Session, str]:
        """A session of a member in an org, optionally bound to a device; returns its bearer."""
        with self._lock:
            session_id = self._fresh_id("sess-", self._sessions)
            return self._add_session(Session(session_id, user_id, org_id, device_id), "oa_sess_")

    def issue_pat(self, user_id: str, org_id: str) -> tuple[Session, str]:
        """A personal access token: a session with a `pat:` id and no device binding."""
        with self._lock:
            session_id = self._fresh_id(PAT_PREFIX, self._sessions)
            return self._add_session(Session(session_id, user_id, org_id, None), "oa_pat_")

    def _add_session(self, session: Session, bearer_prefix: str) -> tuple[Session, str]:
        self._require_user(session.user_id)
        if session.user_id not in self._require_org(session.org_id).members:
            raise ConflictError(f"user {session.user_id} is not a member of {session.org_id}")
        bearer = bearer_prefix + secrets.token_urlsafe(32)
        self._sessions[session.session_id] = session
        self._bearers[bearer] = session.session_id
        return session, bearer

    def revoke(self, session_id: str) -> Session:
        """Revoke a session or PAT: its bearer stops authenticating (T3: 401)."""
        with self._lock:
            if session_id not in self._sessions:
                raise NotFoundError(f"no session {session_id}")
            revoked = dataclasses.replace(self._sessions[session_id], revoked=True)
            self._sessions[session_id] = revoked
            return revoked

    def session_for_bearer(self, bearer: str) -> Session | None:
        """The session a bearer secret belongs to, revoked or not; None if it is unknown."""
        with self._lock:
            session_id = self._bearers.get(bearer)
            return None if session_id is None else self._sessions[session_id]

    def denies_sync_tokens(self, org_id: str) -> bool:
        """Whether the org's policy refuses sync tokens; an org that is gone refuses them."""
        with self._lock:
            org = self._orgs.get(org_id)
            return org is None or org.deny_sync_tokens

    def _require_user(self, user_id: str) -> None:
        if user_id not in self._users:
            raise NotFoundError(f"no user {user_id}")

    def _require_org(self, org_id: str) -> Org:
        org = self._orgs.get(org_id)
        if org is None:
            raise NotFoundError(f"no org {org_id}")
        return org
