"""Every route of the app in one list, grouped as the site is: the reader's API, the
reader's pages, and the moderators' pages."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from rejoinder.web.api import (
    articles,
    comments,
    counts,
    events,
    health,
    me,
    reports,
    thread_pages,
    votes,
)
from rejoinder.web.pages import admin, admin_manage, assets, media, site


def route_handlers() -> list[ControllerRouterHandler]:
    return [
        thread_pages.list_comments,
        thread_pages.more_replies,
        comments.create_comment,
        comments.edit_comment,
        comments.delete_comment,
        votes.vote,
        reports.report_comment,
        me.my_data,
        me.my_thread,
        me.new_reader,
        me.erase_me,
        counts.counts,
        health.healthz,
        events.thread_events,
        articles.list_articles,
        articles.get_article,
        articles.create_article,
        articles.replace_article,
        site.home,
        site.article_page,
        site.search_page,
        media.article_media,
        assets.embed_script,
        admin.queue_page,
        admin.queue_counts,
        admin.item_fragment,
        admin.comment_page,
        admin.act_on_comment,
        admin.bulk_action,
        admin.search_page,
        admin.moderation_events,
        admin_manage.login_page,
        admin_manage.login,
        admin_manage.logout,
        admin_manage.bans_page,
        admin_manage.lift_ban,
        admin_manage.audit_page,
        admin_manage.audit_json,
        admin_manage.audit_csv,
        admin_manage.settings_page,
        admin_manage.save_settings,
        assets.static_files(),
    ]
