"""Moderation reports: each moderator's actions per period, the median time in queue, the
same figures as CSV, and what a report refuses."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from rejoinder.service import moderation_reports
from rejoinder.store.database import Database
from tests.conftest import run
from tests.support import add_moderator, assert_error, moderate, posted, report_from, sign_in

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACTIONS = ["approve", "reject", "spoiler", "unspoiler", "feature", "unfeature", "edit"]
ACTIONS += ["ban", "shadowban"]


class FixedClock:
    """A clock that says what the test sets, to the second."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Tables(HTMLParser):
    """Each table's caption and its rows, as the cells' text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> list[dict]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def desk(make_client, database_url):
    """A reader, and two moderators (Ana and Ben) each in their own browser, all on one
    clock that the test sets."""
    # Signed in "later", so that the sessions (12 hours) outlast the days the test acts in.
    clock = FixedClock(MONDAY + timedelta(days=1000))
    add_moderator(database_url, "ana")
    add_moderator(database_url, "ben")
    reader, ana, ben = make_client(), make_client(), make_client()
    for client in (reader, ana, ben):
        client.app.state.services.clock = clock
    csrf = {"ana": sign_in(ana, "ana"), "ben": sign_in(ben, "ben")}
    clock.now = MONDAY
    return SimpleNamespace(clock=clock, reader=reader, ana=ana, ben=ben, csrf=csrf)


def _post_at(desk, when: datetime) -> int:
    desk.clock.now = when
    return posted(desk.reader)["comment"]["id"]


def _act(desk, who: str, when: datetime, comment_id: int, action: str) -> None:
    desk.clock.now = when
    response = moderate(getattr(desk, who), desk.csrf[who], comment_id, action)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin", response.headers["location"]


def _two_days_of_work(desk) -> None:
    """Monday: Ana approves after 10 minutes and rejects after 30, then marks a spoiler;
    Ben approves after an hour. Tuesday: Ben rejects a comment 20 minutes after a reader
    reported it (it was posted four hours before that), Ana approves after 40 minutes."""
    first, second, third = (_post_at(desk, MONDAY) for _ in range(3))
    _act(desk, "ana", MONDAY + timedelta(minutes=10), first, "approve")
    _act(desk, "ana", MONDAY + timedelta(minutes=30), second, "reject")
    _act(desk, "ben", MONDAY + timedelta(hours=1), third, "approve")
    _act(desk, "ana", MONDAY + timedelta(hours=1), first, "spoiler")
    tuesday = MONDAY + timedelta(days=1, hours=-1)  # 08:00
    reported, quick = _post_at(desk, tuesday), _post_at(desk, tuesday)
    desk.clock.now = tuesday + timedelta(hours=4)
    assert report_from(desk.reader, reported, "203.0.113.7").status_code in (200, 201)
    _act(desk, "ben", tuesday + timedelta(hours=4, minutes=20), reported, "reject")
    _act(desk, "ana", tuesday + timedelta(minutes=40), quick, "approve")


def _counts(row: dict[str, str]) -> dict[str, int]:
    return {action: int(row[action]) for action in ACTIONS if int(row[action])}


def test_the_report_counts_each_moderators_actions_per_day_with_the_median_wait(desk):
    _two_days_of_work(desk)
    query = "?from=2026-03-02&to=2026-03-08&period=day"
    response = desk.ana.get(f"/admin/reports.csv{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    rows = csv_rows(response.text)
    found = [
        (
            *(r["period_start"], r["period_end"], r["moderator"], _counts(r)),
            *(int(r["total"]), int(r["decided"]), r["median_queue_seconds"]),
        )
        for r in rows
    ]
    assert found == [
        (
            "2026-03-02",
            "2026-03-02",
            "ana",
            {"approve": 1, "reject": 1, "spoiler": 1},
            3,
            2,
            "1200",
        ),
        ("2026-03-02", "2026-03-02", "ben", {"approve": 1}, 1, 1, "3600"),
        # Ben's wait runs from the report, not from the posting four hours before it.
        ("2026-03-03", "2026-03-03", "ana", {"approve": 1}, 1, 1, "2400"),
        ("2026-03-03", "2026-03-03", "ben", {"reject": 1}, 1, 1, "1200"),
        # Each over the whole range, then everyone: medians of 600, 1800, 2400 s; of 3600,
        # 1200 s; and of all five.
        (
            "2026-03-02",
            "2026-03-08",
            "ana",
            {"approve": 2, "reject": 1, "spoiler": 1},
            4,
            3,
            "1800",
        ),
        ("2026-03-02", "2026-03-08", "ben", {"approve": 1, "reject": 1}, 2, 2, "2400"),
        ("2026-03-02", "2026-03-08", "", {"approve": 3, "reject": 2, "spoiler": 1}, 6, 5, "1800"),
    ]


def test_the_page_shows_the_same_figures_as_the_csv_with_a_totals_row(desk):
    _two_days_of_work(desk)
    query = "?from=2026-03-02&to=2026-03-08&period=day"
    page = desk.ben.get(f"/admin/reports{query}")
    assert page.status_code == 200
    assert f'href="/admin/reports.csv{query.replace("&", "&amp;")}"' in page.text
    by_period, by_moderator = tables_of(page.text)
    assert by_period["caption"].startswith("Actions on comments by period and moderator")
    heading, *body = by_period["rows"]
    # The page shows approvals, rejections and the other actions done in the range.
    assert heading == [
        *("Period", "Moderator", "Approved", "Rejected", "Marked as a spoiler"),
        *("All actions", "Decisions", "Median time in queue (h:mm)"),
    ]
    rows = csv_rows(desk.ben.get(f"/admin/reports.csv{query}").text)

    def shown(row: dict[str, str]) -> list[str]:
        seconds = int(row["median_queue_seconds"])
        hours, minutes = divmod(round(seconds / 60), 60)
        figures = [row[action] for action in ("approve", "reject", "spoiler")]
        figures += [row["total"], row["decided"]]
        return [row["moderator"] or "Everyone", *figures, f"{hours}:{minutes:02d}"]

    assert [cells[1:] for cells in body] == [shown(row) for row in rows[:4] + rows[-1:]]
    assert body[0][0] == "2 Mar 2026" and body[-1][0] == "2 Mar 2026 – 8 Mar 2026"
    assert [cells[1:] for cells in by_moderator["rows"][1:]] == [shown(row) for row in rows[4:]]


def test_weeks_and_months_gather_the_days_and_take_their_own_median(desk):
    _two_days_of_work(desk)
    weeks = csv_rows(
        desk.ana.get("/admin/reports.csv?from=2026-02-25&to=2026-03-10&period=week").text
    )
    assert [
        (r["period_start"], r["period_end"], r["moderator"], r["total"]) for r in weeks[:2]
    ] == [
        ("2026-03-02", "2026-03-08", "ana", "4"),
        ("2026-03-02", "2026-03-08", "ben", "2"),
    ]
    assert [r["median_queue_seconds"] for r in weeks[:2]] == ["1800", "2400"]
    months = csv_rows(
        desk.ana.get("/admin/reports.csv?from=2026-02-15&to=2026-03-02&period=month").text
    )
    # Only Monday is in range; the month is cut to it.
    assert [
        (r["period_start"], r["period_end"], r["moderator"], r["total"]) for r in months[:2]
    ] == [
        ("2026-03-01", "2026-03-02", "ana", "3"),
        ("2026-03-01", "2026-03-02", "ben", "1"),
    ]


def test_by_default_the_report_covers_the_last_30_days_day_by_day(desk):
    _two_days_of_work(desk)
    desk.clock.now = MONDAY + timedelta(days=10)
    page = desk.ana.get("/admin/reports")
    assert page.status_code == 200
    assert 'value="2026-02-11"' in page.text and 'value="2026-03-12"' in page.text
    assert '<option value="day" selected>' in page.text
    rows = csv_rows(desk.ana.get("/admin/reports.csv").text)
    assert rows[-1]["total"] == "6"
    assert (rows[-1]["period_start"], rows[-1]["period_end"]) == ("2026-02-11", "2026-03-12")


def test_a_range_with_no_work_says_so_and_totals_nothing(desk):
    page = desk.ana.get("/admin/reports?from=2026-01-01&to=2026-01-31&period=week")
    assert page.status_code == 200
    assert "No moderator acted on a comment in these days." in page.text
    rows = csv_rows(desk.ana.get("/admin/reports.csv?from=2026-01-01&to=2026-01-31").text)
    assert len(rows) == 1
    assert rows[0]["total"] == "0" and rows[0]["median_queue_seconds"] == ""


BAD = [
    ("from=2026-03-09&to=2026-03-02", "from", "invalid_range"),
    ("period=fortnight", "period", "invalid_period"),
    ("from=2025-01-01&to=2026-02-04", "to", "range_too_long"),
    ("from=2026-02-30", "from", "invalid_date"),
    ("to=yesterday", "to", "invalid_date"),
    ("from=0001-01-01", "from", "invalid_date"),
]


@pytest.mark.parametrize(("query", "field", "code"), BAD)
def test_the_csv_refuses_impossible_values_in_the_one_error_shape(desk, query, field, code):
    error = assert_error(desk.ana.get(f"/admin/reports.csv?{query}"), 400, field)
    assert error["code"] == code


@pytest.mark.parametrize(("query", "field", "code"), BAD)
def test_the_page_shows_the_form_again_with_the_refusal_beside_its_field(desk, query, field, code):
    page = desk.ana.get(f"/admin/reports?{query}")
    assert page.status_code == 400
    assert f'id="report-{field}" ' in page.text
    assert f'aria-describedby="report-{field}-error"' in page.text
    assert f'<p class="error" role="alert" id="report-{field}-error">' in page.text
    assert "<table" not in page.text


def test_the_page_keeps_what_the_moderator_typed_when_it_refuses(desk):
    page = desk.ana.get("/admin/reports?from=2026-03-09&to=2026-03-02&period=week")
    assert 'value="2026-03-09"' in page.text and 'value="2026-03-02"' in page.text
    assert '<option value="week" selected>' in page.text
    assert "The first day comes after the last one." in page.text


@pytest.mark.parametrize("path", ["/admin/reports", "/admin/reports.csv?from=2026-03-02"])
def test_reports_are_for_signed_in_moderators_only(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?next=/admin/reports")


def test_the_navigation_links_to_the_reports_after_the_audit_log(desk):
    html = desk.ana.get("/admin").text
    assert '<a href="/admin/audit">Audit log</a>\n    <a href="/admin/reports">Reports</a>' in html


def test_all_time_counts_give_every_moderators_actions_since_the_log_began(desk, database_url):
    _two_days_of_work(desk)
    desk.clock.now = MONDAY + timedelta(days=800)  # far outside any report's range
    _act(desk, "ben", desk.clock.now, _post_at(desk, desk.clock.now), "feature")

    async def counts() -> list[tuple[str, str, int]]:
        database = Database(database_url)
        try:
            found = await moderation_reports.all_time_counts(SimpleNamespace(db=database))  # type: ignore[arg-type]
        finally:
            await database.dispose()
        return [(t.moderator, t.action, t.count) for t in found]

    assert run(counts()) == [
        ("ana", "approve", 2),
        ("ana", "reject", 1),
        ("ana", "spoiler", 1),
        ("ben", "approve", 1),
        ("ben", "feature", 1),
        ("ben", "reject", 1),
    ]


def test_a_whole_year_day_by_day_is_one_report_and_a_day_more_is_refused(desk):
    _two_days_of_work(desk)
    year = csv_rows(desk.ana.get("/admin/reports.csv?from=2025-03-08&to=2026-03-08").text)
    assert [r["period_start"] for r in year[:4]] == ["2026-03-02"] * 2 + ["2026-03-03"] * 2
    assert (year[-1]["total"], year[-1]["median_queue_seconds"]) == ("6", "1800")
    too_long = desk.ana.get("/admin/reports.csv?from=2025-03-07&to=2026-03-08")
    assert assert_error(too_long, 400, "to")["code"] == "range_too_long"


@pytest.mark.parametrize("query", ["from=2026-03-01&from=2026-03-02", "period=" + "w" * 5000])
def test_odd_queries_are_answered_without_a_server_error(desk, query):
    for path in ("/admin/reports", "/admin/reports.csv"):
        assert desk.ana.get(f"{path}?{query}").status_code < 500
