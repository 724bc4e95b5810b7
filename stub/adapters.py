"""The reference stubs as a target: the adapters the harness's own configuration names.

This is the glue a user writes for their own system, written for ours: it imports the
harness's seam (harness.targets) and our stubs, and nothing in the harness imports it. The
root pyproject.toml's [tool.stdb-harness] table points at these factories, so the reference
is loaded exactly as any user's target is.
"""

from __future__ import annotations

from harness.contract.sync_tokens import ControlPolicy
from harness.drivers.control import AdminRefused, ControlClient, Credential
from harness.targets.capabilities import Capability
from harness.targets.control import ControlTarget
from harness.targets.sides import (
    ClientGaveUp,
    ClientRecord,
    ClientStep,
    Delivered,
    HeldRow,
    ModuleSession,
    Resumed,
    SnapshotLoaded,
)
from stub.client import steps as client_steps
from stub.client.client import ResumeFailedError, ResumingClient
from stub.client.spacetime import DatabaseHttp


def _contract_step(step: client_steps.ClientStep, module: ModuleSession) -> ClientStep:
    if isinstance(step, client_steps.Resumed):
        error = module.contract_error(step.error) if step.error is not None else None
        return Resumed(step.cursor, step.replay_budget, error)
    if isinstance(step, client_steps.SnapshotLoaded):
        return SnapshotLoaded(step.head_seq)
    return Delivered(step.seq)


class ReferenceClientSession:
    """One identity of the reference resuming client (stub/client) on one database."""

    def __init__(self, module: ModuleSession, mutant: str | None) -> None:
        database = module.database
        token = DatabaseHttp(database.url).new_identity()
        self._module = module
        self._client = ResumingClient(database.url, database.name, token, mutant=mutant)

    def resume(self, stream_id: str, cursor: int, replay_budget: int) -> Resumed:
        try:
            answer = self._client.resume(stream_id, cursor, replay_budget)
        except ResumeFailedError as exc:
            raise ClientGaveUp(str(exc)) from exc
        return Resumed(answer.cursor, answer.replay_budget,
                       self._module.contract_error(answer.error) if answer.error else None)

    def pump(self, stream_id: str, until_seq: int, timeout_s: float) -> None:
        try:
            self._client.pump(stream_id, until_seq=until_seq, timeout=timeout_s)
        except ResumeFailedError as exc:
            raise ClientGaveUp(str(exc)) from exc

    def record(self, stream_id: str) -> ClientRecord:
        view = self._client.view(stream_id)
        return ClientRecord(
            steps=tuple(_contract_step(s, self._module) for s in self._client.steps(stream_id)),
            cursor=self._client.cursor(stream_id),
            base_seq=view.base_seq,
            # the reference client reads the reference module: its columns are the contract's
            rows=tuple(HeldRow(int(row["seq"]), {k: v for k, v in row.items() if k != "seq"})
                       for row in view.events),
        )

    def close(self) -> None:
        self._client.close()


class ReferenceClient:
    """The client side: `mutant` selects a deliberately broken variant (stub/client/mutants)."""

    def __init__(self, mutant: str | None = None) -> None:
        self.mutant = mutant

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.CLIENT})

    def connect(self, module: ModuleSession, name: str) -> ReferenceClientSession:
        return ReferenceClientSession(module, self.mutant)


def reference_client(mutant: str | None = None) -> ReferenceClient:
    return ReferenceClient(mutant)


class ReferenceAdmin:
    """`ControlAdmin` over the reference service's `/_admin/` API (stub/control/admin.py)."""

    def __init__(self, client: ControlClient) -> None:
        self._client = client

    def reset(self) -> None:
        self._client.reset()

    def configure(self, policy: ControlPolicy, *, minting_unavailable: bool) -> None:
        toggles = self._client.set_toggles(
            minting_unavailable=minting_unavailable,
            alias_retired=policy.alias_retired,
            compat_enforced=policy.compat_enforced,
        )
        in_force = ControlPolicy(toggles.alias_retired, toggles.compat_enforced)
        if in_force != policy or toggles.minting_unavailable != minting_unavailable:
            raise AdminRefused(f"asked for {policy} and minting_unavailable="
                               f"{minting_unavailable}, the service reports {toggles}")

    def member(self) -> tuple[str, str]:
        user_id, org_id = self._client.create_user(), self._client.create_org()
        self._client.add_member(org_id, user_id)
        return user_id, org_id

    def open_session(self, user_id: str, org_id: str, device_id: str | None) -> Credential:
        return self._client.open_session(user_id, org_id, device_id)

    def issue_pat(self, user_id: str, org_id: str) -> Credential:
        return self._client.issue_pat(user_id, org_id)

    def revoke(self, credential: Credential) -> None:
        self._client.revoke(credential.session_id)

    def deny_sync_tokens(self, org_id: str) -> None:
        self._client.set_org_policy(org_id, deny_sync_tokens=True)


def reference_admin(client: ControlClient) -> ReferenceAdmin:
    return ReferenceAdmin(client)


def reference_control_target(base_url: str, signing_key: bytes | None = None) -> ControlTarget:
    """The reference control service at `base_url` as a target, for tests that drive it
    directly rather than through configuration."""
    client = ControlClient(base_url)
    return ControlTarget(client, ReferenceAdmin(client), signing_key=signing_key)
