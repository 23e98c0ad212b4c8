"""The counts an import makes anew read each thread's comments through the thread's index:
reading the whole site's visible comments for every thread made a 100,000-comment import
take half an hour instead of minutes."""

from __future__ import annotations

import shutil
import sqlite3

from sqlalchemy import func, select
from sqlalchemy.dialects import sqlite

from rejoinder.store.imports import visible_in
from rejoinder.store.schema import comments


def test_a_threads_visible_comments_are_found_by_its_index(tmp_path, sqlite_template):
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)
    query = select(func.count(), func.max(comments.c.created_at)).where(visible_in(7))
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    with sqlite3.connect(path) as connection:
        plan = " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_comments_thread_id" in plan, plan
    assert "ix_comments_status_created_at" not in plan, plan
