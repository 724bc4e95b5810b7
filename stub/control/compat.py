"""Client build compatibility for the /api/v1 token routes (CONTRACT.md T1).

Under enforcement, a client must say which build it is and which protocol and schema it speaks
before it is served at all; otherwise it gets 426, the status that tells a client to upgrade.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from stub.control.errors import ApiError

BUILD_ID_HEADER: Final = "x-oa-client-build-id"
PROTOCOL_HEADER: Final = "x-oa-protocol-version"
SCHEMA_HEADER: Final = "x-oa-schema-version"
PROTOCOL_VERSION: Final = "openagents.control.v1"
SCHEMA_VERSION: Final = "1"


def check_client_build(headers: Mapping[str, str]) -> None:
    """Raise 426 `invalid_client_build` unless all three headers are as required.

    `headers` has lower-case names; values are compared after trimming surrounding whitespace.
    """
    build_id = headers.get(BUILD_ID_HEADER, "").strip()
    protocol = headers.get(PROTOCOL_HEADER, "").strip()
    schema = headers.get(SCHEMA_HEADER, "").strip()
    if not build_id or protocol != PROTOCOL_VERSION or schema != SCHEMA_VERSION:
        raise ApiError(
            426,
            "invalid_client_build",
            f"This route needs the headers {BUILD_ID_HEADER} (non-empty), "
            f"{PROTOCOL_HEADER}: {PROTOCOL_VERSION} and {SCHEMA_HEADER}: {SCHEMA_VERSION}.",
        )
