"""The runtime's HTTP routes: one table, one dispatcher, no sockets (see `server`).

    POST /v1/events    AppendRequest   -> AppendResponse    journal an event (E1-E6)
    GET  /v1/journal   ?topic=&after_seq=&limit=  -> JournalResponse
    GET  /v1/status                    -> PublisherStatus
    POST /v1/faults    FaultRequest    -> PublisherStatus   pause, resume, arm faults
    POST /v1/target    TargetRequest   -> PublisherStatus   where and how to publish; resets all
    POST /v1/wait      ?timeout_s=     -> WaitResponse      block until quiescent or timeout
    GET  /healthz                      -> {"status": "ok"}

Bodies are protobuf or JSON (see `wire`). Every error is JSON,
`{"error": {"code": ..., "message": ...}}`, whatever format was asked for, so that a
failing call can always be read by a person.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from google.protobuf.message import Message

from stub.proto import runtime_pb2 as pb
from stub.runtime import messages, wire
from stub.runtime.errors import CrashedError, RefusedError
from stub.runtime.service import RuntimeService

log = logging.getLogger(__name__)

DEFAULT_WAIT_S = 30.0
MAX_WAIT_S = 600.0
_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str


Handler = Callable[[RuntimeService, Request], Response]


def append(service: RuntimeService, request: Request) -> Response:
    body = wire.decode_append(request.body, wire.body_format(request.headers))
    published_at_ms = body.published_at_ms if body.HasField("published_at_ms") else None
    event = service.append(body.topic, body.kind, body.payload_json, published_at_ms)
    return _answer(request, pb.AppendResponse(event=messages.event_message(event)))


def journal(service: RuntimeService, request: Request) -> Response:
    query = messages.journal_query(request.query)
    page = service.read_journal(query.topic, query.after_seq, query.limit)
    return _answer(request, messages.journal_message(page))


def status(service: RuntimeService, request: Request) -> Response:
    return _answer(request, messages.status_message(service.status()))


def faults(service: RuntimeService, request: Request) -> Response:
    body = wire.decode(request.body, wire.body_format(request.headers), pb.FaultRequest())
    view = service.control(messages.fault_command(body))
    return _answer(request, messages.status_message(view))


def target(service: RuntimeService, request: Request) -> Response:
    body = wire.decode(request.body, wire.body_format(request.headers), pb.TargetRequest())
    view = service.set_target(messages.target_of(body))
    return _answer(request, messages.status_message(view))


def wait(service: RuntimeService, request: Request) -> Response:
    timeout_s = messages.wait_timeout(request.query, DEFAULT_WAIT_S, MAX_WAIT_S)
    quiescent = service.wait_until_delivered(timeout_s)
    answer = pb.WaitResponse(
        quiescent=quiescent, status=messages.status_message(service.status())
    )
    return _answer(request, answer)


def healthz(service: RuntimeService, _request: Request) -> Response:
    service.status()  # raises when the runtime cannot serve
    return Response(200, b'{"status":"ok"}', _JSON)


ROUTES: Mapping[str, tuple[str, Handler]] = {
    "/v1/events": ("POST", append),
    "/v1/journal": ("GET", journal),
    "/v1/status": ("GET", status),
    "/v1/faults": ("POST", faults),
    "/v1/target": ("POST", target),
    "/v1/wait": ("POST", wait),
    "/healthz": ("GET", healthz),
}


def dispatch(service: RuntimeService, request: Request) -> Response:
    """Route `request` and turn every failure into its JSON error answer."""
    route = ROUTES.get(request.path)
    try:
        if route is None:
            raise RefusedError("not_found", f"no route {request.path}", status=404)
        method, handler = route
        if request.method != method:
            raise RefusedError("method_not_allowed", f"{request.path} takes {method}", status=405)
        return handler(service, request)
    except RefusedError as exc:
        return error(exc.status, exc.code, exc.message)
    except CrashedError as exc:
        return error(503, "crashed", str(exc))
    except OSError as exc:
        log.exception("storage failure on %s %s", request.method, request.path)
        return error(500, "storage_error", str(exc))
    except Exception as exc:
        log.exception("failure on %s %s", request.method, request.path)
        return error(500, "internal_error", f"{type(exc).__name__}: {exc}")


def error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
    return Response(status, body.encode("utf-8"), _JSON)


def _answer(request: Request, message: Message) -> Response:
    fmt = wire.answer_format(request.headers)
    return Response(200, wire.encode(message, fmt), fmt.value)
