"""Who may ask for a token: users found by e-mail, their personal orgs, and their credentials.

Logging in is a two-step e-mail flow. `start_login` opens a challenge for an address and
makes up a six-digit code (a real deployment mails it; this test deployment hands it back);
`finish_login` trades the challenge and its code for a session. The first login of an
address creates its user and a personal org the user is a member of; later logins of the
same address are the same user. A session verified with a device id is bound to that
device. A session can mint personal access tokens (ids `pat:...`); logging out revokes
the credential that asks.

Everything lives in memory behind one lock; `forget_everything` is the test reset.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Literal

CredentialKind = Literal["session", "pat"]


class LoginRefused(Exception):
    """A challenge that does not exist, was used already, or got the wrong code."""


@dataclass
class Account:
    user_id: str
    email: str
    org_id: str


@dataclass
class Credential:
    """A session or a personal access token; `secret` is what a client sends as bearer."""

    id: str
    kind: CredentialKind
    secret: str
    user_id: str
    org_id: str
    device_id: str | None
    revoked: bool = False


@dataclass
class _Challenge:
    email: str
    code: str


@dataclass
class Accounts:
    """The service's whole memory."""

    minting_available: bool = True
    _by_email: dict[str, Account] = field(default_factory=dict)
    _challenges: dict[str, _Challenge] = field(default_factory=dict)
    _by_secret: dict[str, Credential] = field(default_factory=dict)
    _orgs_denying_sync: set[str] = field(default_factory=set)
    _orgs: set[str] = field(default_factory=set)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def start_login(self, email: str) -> tuple[str, str]:
        """A new challenge for `email`: (challenge id, code)."""
        challenge_id = "chl_" + secrets.token_hex(8)
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._lock:
            self._challenges[challenge_id] = _Challenge(email.strip().lower(), code)
        return challenge_id, code

    def finish_login(self, challenge_id: str, code: str, device_id: str | None) -> Credential:
        """A session for the challenge's address; each challenge can be used once."""
        with self._lock:
            challenge = self._challenges.get(challenge_id)
            if challenge is None or not secrets.compare_digest(challenge.code, code):
                raise LoginRefused("unknown challenge or wrong code")
            del self._challenges[challenge_id]
            account = self._by_email.get(challenge.email)
            if account is None:
                account = Account("usr_" + secrets.token_hex(6), challenge.email,
                                  "org_" + secrets.token_hex(6))
                self._by_email[challenge.email] = account
                self._orgs.add(account.org_id)
            return self._store(Credential(
                id="ses_" + secrets.token_hex(10),
                kind="session",
                secret="fs_" + secrets.token_urlsafe(24),
                user_id=account.user_id,
                org_id=account.org_id,
                device_id=device_id,
            ))

    def new_pat(self, session: Credential) -> Credential:
        """A personal access token of the session's user; it is bound to no device."""
        return self._store(Credential(
            id="pat:" + secrets.token_hex(10),
            kind="pat",
            secret="fp_" + secrets.token_urlsafe(24),
            user_id=session.user_id,
            org_id=session.org_id,
            device_id=None,
        ))

    def _store(self, credential: Credential) -> Credential:
        with self._lock:
            self._by_secret[credential.secret] = credential
        return credential

    def live(self, secret: str) -> Credential | None:
        """The unrevoked credential whose secret this is."""
        with self._lock:
            found = self._by_secret.get(secret)
        return found if found is not None and not found.revoked else None

    def log_out(self, credential: Credential) -> None:
        with self._lock:
            credential.revoked = True

    def deny_sync(self, org_id: str) -> bool:
        """Make the org refuse sync tokens; False when there is no such org."""
        with self._lock:
            if org_id not in self._orgs:
                return False
            self._orgs_denying_sync.add(org_id)
            return True

    def denies_sync(self, org_id: str) -> bool:
        with self._lock:
            return org_id in self._orgs_denying_sync

    def forget_everything(self) -> None:
        """Back to a fresh start: no users, orgs, challenges or credentials; minting on."""
        with self._lock:
            self._by_email.clear()
            self._challenges.clear()
            self._by_secret.clear()
            self._orgs_denying_sync.clear()
            self._orgs.clear()
            self.minting_available = True
