"""Who exists and what they may do: all in memory, behind one lock.

Users are created by their first membership (an admin adds an address to an org) or by
their first login. A login is an e-mail challenge: a six-digit code, sent by mail in
production and handed back in the response when the gate runs with mail in mock mode.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field


class Refused(Exception):
    """An account operation that cannot be done; `status` is the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Session:
    session_id: str
    secret: str
    user_id: str
    org_id: str | None
    device_id: str | None
    revoked: bool = False


@dataclass
class Org:
    org_id: str
    name: str
    sync_allowed: bool = True
    members: set[str] = field(default_factory=set)  # user ids


def _id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6)}"


class Accounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, str] = {}  # email -> user id
        self._orgs: dict[str, Org] = {}
        self._codes: dict[str, str] = {}  # email -> pending code
        self._sessions: dict[str, Session] = {}  # secret -> session
        self.minting_enabled = True

    def reset(self) -> None:
        with self._lock:
            for table in (self._users, self._orgs, self._codes, self._sessions):
                table.clear()
            self.minting_enabled = True

    @staticmethod
    def _email(email: object) -> str:
        if not isinstance(email, str) or "@" not in email.strip()[1:-1]:
            raise Refused(400, "bad_email", "email must be an address")
        return email.strip().lower()

    def _user(self, email: str) -> str:
        return self._users.setdefault(email, _id("u-"))

    # Orgs and memberships (fixture API)

    def create_org(self, name: str | None) -> Org:
        with self._lock:
            org = Org(_id("o-"), name or "unnamed")
            self._orgs[org.org_id] = org
            return org

    def add_member(self, org_id: str, email: object) -> str:
        with self._lock:
            org = self._org(org_id)
            user_id = self._user(self._email(email))
            org.members.add(user_id)
            return user_id

    def set_sync_allowed(self, org_id: str, allowed: bool) -> None:
        with self._lock:
            self._org(org_id).sync_allowed = allowed

    def _org(self, org_id: str) -> Org:
        org = self._orgs.get(org_id)
        if org is None:
            raise Refused(404, "no_such_org", f"no org {org_id}")
        return org

    def sync_allowed(self, org_id: str) -> bool:
        with self._lock:
            org = self._orgs.get(org_id)
            return org is not None and org.sync_allowed

    # Login

    def challenge(self, email: object) -> str:
        with self._lock:
            address = self._email(email)
            code = f"{secrets.randbelow(10**6):06d}"
            self._codes[address] = code
            return code

    def verify(self, email: object, code: object, org_id: object = None,
               device_id: object = None) -> Session:
        with self._lock:
            address = self._email(email)
            pending = self._codes.get(address)
            if pending is None or not isinstance(code, str) or \
                    not secrets.compare_digest(pending, code):
                raise Refused(401, "bad_code", "wrong or expired code")
            if device_id is not None and not isinstance(device_id, str):
                raise Refused(400, "bad_device", "device_id must be a string")
            del self._codes[address]
            user_id = self._user(address)
            mine = sorted(o.org_id for o in self._orgs.values() if user_id in o.members)
            if org_id is None:
                org_id = mine[0] if mine else None
            elif org_id not in mine:
                raise Refused(403, "not_a_member", f"{address} is not a member of {org_id}")
            session = Session(_id("s-"), secrets.token_urlsafe(24), user_id,
                              org_id if isinstance(org_id, str) else None, device_id)
            self._sessions[session.secret] = session
            return session

    def session(self, secret: str) -> Session | None:
        with self._lock:
            found = self._sessions.get(secret)
            return None if found is None or found.revoked else found

    def revoke(self, session_id: str) -> bool:
        with self._lock:
            hits = [s for s in self._sessions.values() if s.session_id == session_id]
            for found in hits:
                found.revoked = True
            return bool(hits)
