"""Fuzzing the OpenAPI document with schemathesis: no input gives a 5xx, and every answer
matches what the document says of its operation (status declared, envelope schema, content
type, documented headers).

The app runs in-process (WSGI) on a throw-away workspace, every request carries Basic
``_SYSTEM``/``SYS``. Each operation gets cases built from the document (positive and
negative), with its path parameters either generated or set to a real namespace, version and
document so that the views past the routing are reached too.

- ``test_fuzz_openapi``: a bounded number of examples per operation, derandomized (the same
  cases on every run), part of the default suite and so of ``.ci/run``.
- ``test_fuzz_openapi_long``: many more random examples (``FUZZ_LONG_EXAMPLES``, default
  500 per operation and mode), marked ``fuzz_long`` and left out of the default run; run it with
  ``.venv/bin/python -m pytest -m fuzz_long tests/api/test_fuzz.py``.

No operation is excluded: the side effects (saves, deletes, xml/load, compiles, /operator
reset, logout) stay inside the test's workspace.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from envelopes import basic
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from spaces import build_app

from .conftest import populate

AUTH = {"Authorization": basic()}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
#: examples per operation and generation mode in the default suite (about a minute in all)
EXAMPLES = 20
LONG_EXAMPLES = int(os.environ.get("FUZZ_LONG_EXAMPLES", "500"))
#: path parameters a case may take instead of generated ones (only those its path has)
REAL_PARAMETERS = [
    {"version": 8, "ns": "USER", "name": "R.mac", "namespace": "USER", "cat": "RTN",
     "type": "mac", "job_id": "1", "target": "USER"},
    {"version": 8, "ns": "USER", "name": "Pkg.A.cls", "namespace": "USER", "cat": "CLS",
     "type": "*", "job_id": "2", "target": "USER"},
    {"version": 3, "ns": "%SYS", "name": "/csp/user/x.js", "namespace": "%SYS", "cat": "CSP",
     "type": "js", "job_id": "3", "target": "%SYS"},
]
_PATH_PARAMETER = re.compile(r"{(\w+)}")


@dataclass
class Tally:
    """What one fuzzing run sent and got."""

    statuses: Counter[int] = field(default_factory=Counter)
    requests: int = 0
    failures: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return f"{self.requests} requests ({codes})"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a populated throw-away workspace; short limits so that a fuzzed search or
    compile cannot hold the run."""
    box = populate(tmp_path_factory.mktemp("fuzz"))
    app = build_app(box.ws, box.state, work_time_limit_seconds=20)
    app.extensions["atelier"].warm_up()  # as the server does at start: /readyz is then 200
    yield app
    app.extensions["atelier"].close()


def _cases(operation: Any, mode: GenerationMode) -> st.SearchStrategy[Any]:
    """Cases of one operation: parameters all generated, or the real ones its path has."""
    names = set(_PATH_PARAMETER.findall(operation.path))
    choices = [operation.as_strategy(generation_mode=mode)]
    for real in REAL_PARAMETERS if names else []:
        fixed = {key: value for key, value in real.items() if key in names}
        choices.append(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    return st.one_of(choices)


def fuzz(app: Flask, examples: int, *, derandomize: bool) -> Tally:
    """Run every operation of the served document through ``examples`` positive and
    ``examples`` negative cases; the failures (first per operation and mode, shrunk)."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=schemathesis.Config())
    tally = Tally()
    results = list(schema.get_all_operations())
    broken = [str(result.err()) for result in results if not isinstance(result, Ok)]
    assert not broken, f"operations schemathesis cannot read: {broken}"
    operations = [result.ok() for result in results]

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=examples, derandomize=derandomize, database=None,
                      deadline=None, suppress_health_check=list(HealthCheck),
                      print_blob=False)
            @given(case=_cases(operation, mode))
            def one(case: Any) -> None:
                response = case.call(headers=AUTH)
                tally.requests += 1
                tally.statuses[response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=AUTH)

            try:
                one()
            except Unsatisfiable:
                continue  # nothing of this operation can be made invalid (negative mode)
            except (Exception, BaseExceptionGroup) as exc:  # all reported at the end
                label = f"{operation.method.upper()} {operation.path} ({mode.value})"
                tally.failures[label] = f"{type(exc).__name__}: {exc}"[:3000]
                print(f"FAILED {label}\n{tally.failures[label]}", file=sys.stderr, flush=True)
    return tally


def _report(tally: Tally) -> str:
    parts = [f"{label}\n{text}" for label, text in sorted(tally.failures.items())]
    return f"{len(tally.failures)} operations failed after {tally.summary()}:\n\n" + \
        "\n\n".join(parts)


@pytest.mark.timeout(600)
def test_fuzz_openapi(fuzz_app: Flask) -> None:
    tally = fuzz(fuzz_app, EXAMPLES, derandomize=True)
    assert not tally.failures, _report(tally)
    assert not [code for code in tally.statuses if code >= 500], tally.summary()
    assert sum(n for code, n in tally.statuses.items() if code < 300) > 0, tally.summary()


@pytest.mark.fuzz_long
@pytest.mark.timeout(0)
def test_fuzz_openapi_long(fuzz_app: Flask) -> None:
    tally = fuzz(fuzz_app, LONG_EXAMPLES, derandomize=False)
    print(tally.summary())
    assert not tally.failures, _report(tally)



def test_every_operation_documents_its_errors_as_the_envelope(fuzz_app: Flask) -> None:
    """The statuses all operations share are in the served document; an error with a body is
    an envelope; no catch-all ``default`` hides an undeclared status."""
    spec = fuzz_app.test_client().get("/openapi.json").get_json()
    methods = {"get", "put", "post", "delete", "head", "patch", "options"}
    seen = 0
    for path, item in spec["paths"].items():
        for method, operation in ((m, op) for m, op in item.items() if m in methods):
            seen += 1
            responses, where = operation["responses"], f"{method.upper()} {path}"
            assert "default" not in responses, where
            assert {"4XX", "5XX"} <= set(responses), where
            if path.startswith(("/api/atelier", "/operator")):
                assert "401" in responses, where
            if "{version}" in path:
                assert "404" in responses, where
            if "requestBody" in operation:
                assert {"413", "415"} <= set(responses), where
            for code, response in responses.items():
                content = response.get("content", {})
                if method == "head":
                    assert not content, f"{where} {code}: a HEAD answer has no body"
                elif code[0] in "45" and (path, code) != ("/readyz", "503"):
                    ref = content["application/json"]["schema"]["$ref"]
                    assert ref.endswith("Envelope"), f"{where} {code}: {ref}"
    assert seen >= 39
