"""The service's OpenAPI 3.1 document, built from the routes actually served.

The caller passes the token routes in force, so a retired alias (T6) disappears from the
document exactly when it stops being served. The admin API is a test seam, not part of the
service's contract, and is not described here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from stub.control import compat
from stub.control.topics import ALLOWED_SCOPES

_COMPAT_HEADERS: Final = {
    compat.BUILD_ID_HEADER: {"type": "string", "minLength": 1},
    compat.PROTOCOL_HEADER: {"const": compat.PROTOCOL_VERSION},
    compat.SCHEMA_HEADER: {"const": compat.SCHEMA_VERSION},
}

_STRING_LIST: Final = {"type": "array", "items": {"type": "string"}}
_DATE_TIME: Final = {"type": "string", "format": "date-time"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema in which every listed property is required."""
    return {"type": "object", "required": list(properties), "properties": properties}


def _grants(name: str) -> dict[str, Any]:
    item = _object({name: {"type": "string"}, "required_scope": {"type": "string"}})
    return {"type": "array", "items": item}


_SCHEMAS: Final[dict[str, Any]] = {
    "SyncTokenRequest": {
        "type": "object",
        "properties": {
            "scopes": {"type": "array", "items": {"enum": list(ALLOWED_SCOPES)}},
            "topics": _STRING_LIST,
            "streams": _STRING_LIST,
            "ttl_seconds": {"type": "integer", "minimum": 60, "maximum": 900, "default": 300},
            "device_id": {"type": "string"},
        },
    },
    "SyncTokenResponse": _object(
        {
            "data": _object(
                {
                    "token": {"type": "string", "description": "HS256 JWT"},
                    "token_type": {"const": "Bearer"},
                    "transport": {"const": "spacetime_ws"},
                    "protocol_version": {"const": "spacetime.sync.v1"},
                    "expires_in": {"type": "integer"},
                    "refresh_after_in": {"type": "integer"},
                    "issued_at": _DATE_TIME,
                    "refresh_after": _DATE_TIME,
                    "expires_at": _DATE_TIME,
                    "issuer": {"type": "string"},
                    "audience": {"type": "string"},
                    "subject": {"type": "string", "pattern": "^user:"},
                    "org_id": {"type": "string"},
                    "claims_version": {"const": "oa_sync_claims_v1"},
                    "scopes": _STRING_LIST,
                    "granted_topics": _grants("topic"),
                    "granted_streams": _grants("stream"),
                    "kid": {"type": "string"},
                    "token_id": {"type": "string"},
                    "session_id": {"type": "string"},
                    "device_id": {"type": ["string", "null"]},
                }
            )
        }
    ),
    "Error": _object(
        {
            "message": {"type": "string"},
            "error": _object({"code": {"type": "string"}, "message": {"type": "string"}}),
        }
    ),
}


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, **_json("Error")}


def _token_operation(path: str, versioned: bool) -> dict[str, Any]:
    responses = {
        "200": {"description": "A sync token", **_json("SyncTokenResponse")},
        "401": _error("unauthorized: no, unknown or revoked session"),
        "403": _error("forbidden: device mismatch or org policy"),
        "422": _error("invalid_request or invalid_scope"),
        "503": _error("sync_token_unavailable"),
    }
    operation: dict[str, Any] = {
        "operationId": "mint" + path.replace("/", "_"),
        "summary": "Mint a sync token",
        "security": [{"bearer": []}],
        "requestBody": {"required": False, **_json("SyncTokenRequest")},
        "responses": responses,
    }
    if versioned:
        responses["426"] = _error("invalid_client_build (under compatibility enforcement)")
        operation["parameters"] = [
            {"name": name, "in": "header", "required": False, "schema": schema}
            for name, schema in _COMPAT_HEADERS.items()
        ]
    return {"post": operation}


def _get(operation_id: str, description: str) -> dict[str, Any]:
    return {
        "get": {"operationId": operation_id, "responses": {"200": {"description": description}}}
    }


def document(token_routes: Mapping[str, bool]) -> dict[str, Any]:
    """The OpenAPI document; `token_routes` maps each served token path to "is /api/v1"."""
    paths: dict[str, Any] = {
        path: _token_operation(path, versioned) for path, versioned in token_routes.items()
    }
    paths["/healthz"] = _get("healthz", "The service is up")
    paths["/openapi.json"] = _get("openapi", "This document")
    return {
        "openapi": "3.1.0",
        "info": {"title": "OpenAgents control service (reference stub)", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
