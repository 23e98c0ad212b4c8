"""Every answer carries its request id, and the request's log line names the route, also for
a thread page sent from memory before routing (docs/operations.md, "The log")."""

from __future__ import annotations

import json
import logging
import re

from tests.api.test_ready_answers import anonymous, from_memory, read
from tests.support import posted

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def request_records(caplog) -> dict[str, logging.LogRecord]:
    return {
        record.request_id: record
        for record in caplog.records
        if record.name == "rejoinder.requests" and hasattr(record, "request_id")
    }


def test_a_page_from_memory_is_logged_under_its_route(client, caplog):
    from rejoinder.web.request_log import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, "rejoinder.requests")
    posted(client)
    anonymous(client)
    read(client)
    fast = from_memory(client)
    missing = client.get("/no/such/page")
    records = request_records(caplog)
    for response, route in ((fast, "/api/comments"), (missing, None)):
        request_id = response.headers["x-request-id"]
        assert GENERATED_ID.fullmatch(request_id)
        logged = records[request_id].http  # type: ignore[attr-defined]
        assert logged["route"] == route and logged["status"] == response.status_code


def test_a_json_line_holds_the_request_fields_and_the_traceback():
    from rejoinder.web.request_log import JsonFormatter

    try:
        raise ValueError("a bug")
    except ValueError as error:
        record = logging.makeLogRecord(
            {"name": "rejoinder", "levelname": "ERROR", "msg": "unhandled error"}
        )
        record.exc_info = (type(error), error, error.__traceback__)
    record.request_id = "abc"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc" and line["message"] == "unhandled error"
    assert line["exception"].startswith("Traceback") and "ValueError: a bug" in line["exception"]
    assert "\n" not in JsonFormatter().format(record)
