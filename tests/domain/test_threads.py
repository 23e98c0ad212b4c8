"""Arranging comments into a nested thread."""

from __future__ import annotations

from datetime import UTC, datetime

from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.threads import nest


def stored(id, parent=None, root=None, status=Status.VISIBLE, replies=0):
    return StoredComment(
        id=id, thread_id=1, parent_id=parent, root_id=root, author_name=f"A{id}",
        author_email=None, author_guest=True, author_badge=None, voter_id=None,
        body_markdown="x", body_html="<p>x</p>", spoiler=False, status=status,
        created_at=datetime.now(UTC), edited_at=None, votes_up=0, votes_down=0, score=0.0,
        reply_count=replies,
    )  # fmt: skip


def test_replies_nest_at_any_depth_in_the_order_given():
    tree = nest([stored(1, replies=2)], [stored(2, 1, 1), stored(3, 1, 1), stored(4, 2, 1)])
    assert [r.id for r in tree[0].replies] == [2, 3]
    assert [r.id for r in tree[0].replies[0].replies] == [4]


def test_deleted_leaf_disappears_and_deleted_parent_with_replies_stays_anonymous():
    tree = nest(
        [stored(1, status=Status.DELETED, replies=1), stored(5, status=Status.DELETED)],
        [stored(2, 1, 1), stored(3, 2, 1, status=Status.DELETED)],
    )
    assert [c.id for c in tree] == [1]
    assert tree[0].deleted and tree[0].html is None and tree[0].author.name is None
    assert [r.id for r in tree[0].replies] == [2]
    assert tree[0].replies[0].replies == []
