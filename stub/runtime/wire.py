"""Bodies on the wire: binary protobuf or the protobuf JSON mapping, chosen per request.

Programs speak `application/x-protobuf`; people with curl speak `application/json` (field
names as in runtime.proto; 64-bit integers are accepted as numbers or strings). The answer
comes in the format the `Accept` header asks for, else in the request body's format.
Unknown fields are refused rather than ignored, so a misspelt field
is an error and not a silently missing value; an append that carries a seq gets its own
code, because the runtime alone assigns seqs (E2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.protobuf.unknown_fields import UnknownFieldSet

from stub.proto import runtime_pb2 as pb
from stub.runtime.errors import RefusedError

M = TypeVar("M", bound=Message)

# AppendRequest reserves Event's seq field number and name (see runtime.proto).
_SEQ_FIELD_NUMBER = 2
_SEQ_FIELD_NAME = "seq"


class Format(Enum):
    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"


def body_format(headers: Mapping[str, str]) -> Format:
    """The request body's format, from Content-Type (JSON unless it names protobuf)."""
    return Format.PROTOBUF if "protobuf" in headers.get("content-type", "") else Format.JSON


def answer_format(headers: Mapping[str, str]) -> Format:
    """The format to answer in: what Accept names, else the request body's format."""
    accept = headers.get("accept", "")
    if "protobuf" in accept:
        return Format.PROTOBUF
    if "json" in accept:
        return Format.JSON
    return body_format(headers)


def decode(body: bytes, fmt: Format, message: M) -> M:
    """Fill `message` from `body`; `invalid_request` if it is not such a message."""
    if fmt is Format.PROTOBUF:
        unknown = sorted(_unknown_field_numbers(_parse_binary(body, message)))
        if unknown:
            raise RefusedError("invalid_request", f"unknown field number(s) {unknown}")
        return message
    try:
        json_format.ParseDict(_json_object(body), message)
    except json_format.ParseError as exc:
        raise RefusedError("invalid_request", str(exc)) from None
    return message


def decode_append(body: bytes, fmt: Format) -> pb.AppendRequest:
    """An AppendRequest; `seq_not_allowed` if the body carries a seq in either format."""
    if fmt is Format.PROTOBUF:
        numbers = _unknown_field_numbers(_parse_binary(body, pb.AppendRequest()))
        carries_seq = _SEQ_FIELD_NUMBER in numbers
    else:
        carries_seq = _SEQ_FIELD_NAME in _json_object(body)
    if carries_seq:
        raise RefusedError("seq_not_allowed", "the runtime assigns seq; do not send one (E2)")
    return decode(body, fmt, pb.AppendRequest())


def encode(message: Message, fmt: Format) -> bytes:
    """`message` in `fmt`; in JSON, every field is shown, 64-bit integers as plain numbers
    while they are exact in a double (seqs and times always are)."""
    if fmt is Format.PROTOBUF:
        return message.SerializeToString()
    text = json_format.MessageToJson(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
        indent=None,
        ensure_ascii=False,
        unquote_int64_if_possible=True,
    )
    return text.encode("utf-8")


def _unknown_field_numbers(message: Message) -> set[int]:
    unknown = UnknownFieldSet(message)
    return {unknown[index].field_number for index in range(len(unknown))}


def _parse_binary(body: bytes, message: M) -> M:
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise RefusedError("invalid_request", f"not a protobuf message: {exc}") from None
    return message


def _json_object(body: bytes) -> dict[str, object]:
    """The JSON object in `body`; an empty body is the empty message."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RefusedError("invalid_request", f"body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise RefusedError("invalid_request", "body is not a JSON object")
    return value
