"""The async work queue: ``POST /work`` (queue), ``GET /work/{id}`` (poll), ``DELETE`` (cancel).

The wire rules the VS Code extension relies on: the queue answers 202 with ``Location`` holding
the bare job id; a poll of a running job answers 200 with ``Retry-After`` and only the console
lines new since the previous poll; the final poll has no ``Retry-After`` and carries the
result, after which the id is a 404; DELETE answers with ``Retry-After`` until the job has
stopped, then removes it.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Response, g, request
from flask_smorest import Blueprint

from atelier_api.api.actions import compile_service
from atelier_api.api.common import (
    ascii_number,
    doc_response,
    json_body,
    respond,
    services,
    store_for,
    versioned,
)
from atelier_api.api.schemas.actions import (
    WorkBodySchema,
    WorkPollEnvelopeSchema,
)
from atelier_api.api.schemas.documents import EnvelopeSchema
from atelier_api.errors import BadRequest, NotFound
from atelier_api.run.unittests import parse_request, unittest_job
from atelier_api.search.query import DEFAULT_MAX, SearchQuery
from atelier_api.search.service import search_job
from atelier_api.sql.projects import project_documents
from atelier_api.work.queue import Outcome, Poll

blp = Blueprint("work", __name__, url_prefix="/api/atelier",
                description="The async work queue the VS Code extension compiles through: "
                            "queue a job, poll it for new console lines until it is done, "
                            "or cancel it.")
NS = "/v<int:version>/<ns>"
SUPPORTED = ("compile", "search", "unittest")
NOT_YET: tuple[str, ...] = ()
RETRY = {"Retry-After": "1"}
#: ``result`` of a running poll, and of a final one whose job produced none, per request type
RUNNING_RESULT: dict[str, Any] = {"compile": {}}
FINAL_RESULT: dict[str, Any] = {"compile": {"content": []}}
#: request types whose every poll carries its new result items as an array
ITEMS = ("search", "unittest")


def _request_kind(body: dict[str, Any]) -> str:
    """The ``request`` of a /work body, or a 400 naming the supported types."""
    kind = body.get("request")
    supported = ", ".join(f"'{k}'" for k in SUPPORTED)
    if not isinstance(kind, str) or not kind:
        raise BadRequest(f"The /work body needs a 'request' string; this server supports "
                         f"{supported}")
    if kind not in SUPPORTED:
        later = " (not implemented yet in this server)" if kind in NOT_YET else ""
        raise BadRequest(f"Unsupported /work request '{kind[:40]}'{later}; this server "
                         f"supports {supported}")
    return kind


def _job_id(text: str) -> int:
    """A job id: ASCII digits only (``٣`` is not job 3, ``³`` is not a number)."""
    number = ascii_number(text)
    if number is None:
        raise NotFound(f"No job '{text[:40]}': job ids are numbers")
    return number


def _gone(job_id: str) -> NotFound:
    return NotFound(f"No job {job_id} in this namespace: it does not exist, or it finished and "
                    "its result was already collected")


#: A poll of a running job waits this long for it to finish before answering "running":
#: a short compile is then collected by its first poll.
POLL_WAIT_SECONDS = 0.25

@blp.route(NS + "/work", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {
    "schema": WorkBodySchema}}})
@doc_response(202, schema=EnvelopeSchema, description="queued; the Location header holds "
                  "the bare job id to poll at work/{id}",
                  headers={"Location": {"description": "the job id", "schema": {
                      "type": "string"}}})
@doc_response(400, schema=EnvelopeSchema, description="malformed body, unsupported request "
                  "type, invalid flags or document names")
@doc_response(404, schema=EnvelopeSchema, description="no such namespace, or no document "
                  "of the list exists")
@doc_response(415, schema=EnvelopeSchema, description="body is not application/json")
@doc_response(503, schema=EnvelopeSchema, description="too many jobs, or shutting down")
@versioned(1)
def queue_work(ns: str) -> Response:
    """QueueAsync: start a compile, search or unit-test job; poll it with GET work/{id}."""
    body = json_body(expect=dict)
    kind = _request_kind(body)
    if kind == "search":
        return _queue_search(ns, body)
    if kind == "unittest":
        return _queue_unittest(ns, body, int((request.view_args or {}).get("version", 0)))
    source = body.get("source", True)
    if not isinstance(source, bool):
        raise BadRequest("'source' must be true or false")
    service = compile_service(ns)
    plan = service.plan(body.get("documents"), body.get("flags"), source)
    job_id = services().work.submit(service.store.namespace, "compile", service.job(plan),
                                    service.time_limit)
    return respond({"content": {}}, status=202, headers={"Location": str(job_id)})


_SEARCH_FLAGS = {"regex": "regex", "word": "word", "case": "case", "wild": "wild",
                 "system": "system", "generated": "generated"}


def _search_body(body: dict[str, Any]) -> tuple[SearchQuery, bool]:
    """A /work search body as a query, and whether it wants console output (400 if bad)."""
    text, docs = body.get("query"), body.get("documents", "*")
    if not isinstance(text, str) or not text:
        raise BadRequest("A search needs a non-empty 'query' string")
    if isinstance(docs, list) and all(isinstance(d, str) for d in docs):
        docs = ",".join(docs)
    if not isinstance(docs, str):
        raise BadRequest("'documents' must be a string of masks such as '*.cls,*.mac'")
    flags = {key: _bool(body, name) for name, key in _SEARCH_FLAGS.items()}
    hits = body.get("max", DEFAULT_MAX)
    if isinstance(hits, bool) or not isinstance(hits, int):
        raise BadRequest("'max' must be a number")
    patterns = {k: body.get(k) or "" for k in ("include", "exclude")}
    if not all(isinstance(v, str) for v in patterns.values()):
        raise BadRequest("'include' and 'exclude' must be regular expression strings")
    query = SearchQuery(text, docs or "*", max_hits=hits, include=patterns["include"],
                        exclude=patterns["exclude"], **flags)
    return query, _bool(body, "console", True)


def _bool(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name, default)
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise BadRequest(f"'{name}' must be true or false")


def _queue_search(ns: str, body: dict[str, Any]) -> Response:
    store = store_for(ns)
    project = body.get("project")
    if project:
        # a project folder: its documents, whatever 'documents' says (as IRIS does, and
        # system, generated and mapped are ignored)
        if not isinstance(project, str):
            raise BadRequest("'project' must be the name of a project")
        names = project_documents(services().sql[store.namespace].projects, store, project)
        body = {**body, "documents": ",".join(names) or "", "system": False,
                "generated": False}
        if not names:   # an empty project: nothing to search (not everything)
            job_id = services().work.submit(store.namespace, "search",
                                            lambda _ctx: Outcome([]),
                                            services().settings.work_time_limit_seconds)
            return respond({"content": {}}, status=202, headers={"Location": str(job_id)})
    query, console = _search_body(body)
    job_id = services().work.submit(store.namespace, "search",
                                    search_job(store, query, console=console),
                                    services().settings.work_time_limit_seconds)
    return respond({"content": {}}, status=202, headers={"Location": str(job_id)})


def _queue_unittest(ns: str, body: dict[str, Any], version: int) -> Response:
    """A unit-test run (API v8 and up, not in %SYS): see ``run.unittests``."""
    if version < 8:
        raise BadRequest(f"Unit tests run through /work from API version 8; this request "
                         f"used v{version}")
    service = compile_service(ns)
    if service.store.namespace == "%SYS":
        raise BadRequest("Unit tests do not run in %SYS: use the namespace of the test "
                         "classes")
    runs = services().runs
    if runs is None or not runs.available():
        raise BadRequest("This server's compiler adapter cannot run code, so it cannot "
                         "run unit tests")
    runs.check()  # 503 when every session slot is taken
    unit = parse_request(body)
    settings = services().settings
    session = g.get("session")
    user = getattr(session, "user", "") or settings.username
    target = runs.wait_for_debugger() if unit.debug else None
    job = unittest_job(runs, service.store, service.catalog, unit, user=user,
                       device=request.remote_addr or "",
                       test_seconds=float(settings.run_line_seconds), target=target)
    # a run under a debugger lasts as long as the person debugging it takes
    limit = math.inf if target is not None else settings.work_time_limit_seconds
    job_id = services().work.submit(service.store.namespace, "unittest", job, limit)
    content = {"debugId": target.id} if target is not None else {}
    return respond({"content": content}, status=202, headers={"Location": str(job_id)})


def _final(poll: Poll, *, with_errors: bool = True) -> Response:
    outcome = poll.outcome
    result = outcome.result if outcome is not None and outcome.result is not None else (
        FINAL_RESULT.get(poll.kind, {}))
    if poll.kind in ITEMS:
        result = list(poll.items)
    errors = outcome.errors if outcome is not None and with_errors else []
    summary = outcome.summary if outcome is not None and with_errors else ""
    return respond(result, console=poll.console, errors=errors, summary=summary)


@blp.route(NS + "/work/<job_id>", methods=["GET"])
@doc_response(200, schema=WorkPollEnvelopeSchema, description="running (Retry-After set, "
                  "new console lines; a compile's result {}, a search's or unit-test run's "
                  "new items: documents found, or finished tests' result rows {class, "
                  "method?, status 0 failed/1 passed/2 skipped, duration ms, failures "
                  "[{message, location {document, label, offset, namespace}}], error?}) or "
                  "final (no Retry-After: the rest; a failed compile has status.errors)",
                  headers={"Retry-After": {"description": "present while the job runs",
                                           "schema": {"type": "string"}}})
@doc_response(404, schema=EnvelopeSchema, description="unknown id, or already collected")
@versioned(1)
def poll_work(ns: str, job_id: str) -> Response:
    """PollAsync: new console lines of a job; the final poll carries its result."""
    namespace = store_for(ns).namespace
    work = services().work
    if request.method == "HEAD":  # werkzeug gives every GET rule HEAD too: never drain on it
        peek = work.peek(namespace, _job_id(job_id))
        if peek is None:
            raise _gone(job_id)
        return respond(headers=RETRY if peek.running else {})
    poll = work.poll(namespace, _job_id(job_id), wait=POLL_WAIT_SECONDS)
    if poll is None:
        raise _gone(job_id)
    if poll.running:
        result = list(poll.items) if poll.kind in ITEMS else RUNNING_RESULT.get(poll.kind, {})
        if poll.content is not None:  # a unit-test run waiting for its debugger, once
            result = {"content": poll.content}
        return respond(result, console=poll.console, headers=RETRY)
    return _final(poll)


@blp.route(NS + "/work/<job_id>", methods=["DELETE"])
@doc_response(200, schema=EnvelopeSchema, description="cancellation in progress "
                  "(Retry-After set: repeat the DELETE) or done (the job is removed)",
                  headers={"Retry-After": {"description": "present until the job has stopped",
                                           "schema": {"type": "string"}}})
@doc_response(404, schema=EnvelopeSchema, description="unknown id, or already collected")
@versioned(1)
def cancel_work(ns: str, job_id: str) -> Response:
    """CancelAsync: stop a job; repeat while Retry-After is present."""
    poll = services().work.cancel(store_for(ns).namespace, _job_id(job_id))
    if poll is None:
        raise _gone(job_id)
    if poll.running:
        return respond(list(poll.items) if poll.kind in ITEMS else {}, console=poll.console,
                       headers=RETRY)
    return _final(poll, with_errors=False)
