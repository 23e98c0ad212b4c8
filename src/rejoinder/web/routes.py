"""Every route of the app in one list, grouped as the site is: the reader's API, the
reader's pages, and the moderators' pages."""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.types import ControllerRouterHandler

from rejoinder.web.api import (
    articles,
    comments,
    counts,
    events,
    health,
    me,
    metrics,
    moderation_callback,
    previews,
    reports,
    thread_pages,
    votes,
)
from rejoinder.web.pages import (
    admin,
    admin_import,
    admin_manage,
    admin_me,
    admin_reports,
    admin_webhooks,
    assets,
    discussion,
    feeds,
    mail,
    media,
    site,
)


def route_handlers() -> list[ControllerRouterHandler]:
    return [
        thread_pages.list_comments,
        thread_pages.more_replies,
        comments.create_comment,
        comments.edit_comment,
        comments.delete_comment,
        votes.vote,
        reports.report_comment,
        moderation_callback.moderation_callback,
        me.my_data,
        me.my_thread,
        me.new_reader,
        me.erase_me,
        counts.counts,
        previews.preview_comment,
        health.healthz,
        metrics.metrics,
        events.thread_events,
        articles.list_articles,
        articles.get_article,
        articles.create_article,
        articles.replace_article,
        site.home,
        site.article_page,
        site.search_page,
        discussion.comments_fragment,
        feeds.comments_feed,
        feeds.articles_feed,
        mail.confirm_page,
        mail.unsubscribe_page,
        mail.unsubscribe,
        mail.staff_unsubscribe_page,
        mail.staff_unsubscribe,
        media.article_media,
        assets.embed_script,
        assets.count_script,
        assets.favicon,
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
        admin_reports.reports_page,
        admin_reports.reports_csv,
        admin_manage.settings_page,
        admin_manage.save_settings,
        admin_import.import_page,
        admin_import.import_archive,
        admin_me.me_page,
        admin_me.save_me,
        admin_webhooks.webhooks_page,
        admin_webhooks.add_webhook,
        admin_webhooks.change_webhook,
        admin_webhooks.send_again,
        assets.static_files(),
    ]


def allow_every_method(app: Litestar) -> None:
    """Make ``OPTIONS`` name every method of its path, not only the first one registered.

    Litestar 2 makes a path's ``OPTIONS`` handler when the path's first handler is registered
    and keeps it as later ones join, so its ``Allow`` header named that first handler's
    methods (litestar#4169, fixed in Litestar 3). Each default handler is pointed at the
    path's finished route here.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        answer = route.route_handler_map["OPTIONS"][0].fn
        if getattr(answer, "__name__", "") != "options_handler" or not answer.__closure__:
            continue
        for cell in answer.__closure__:
            if isinstance(cell.cell_contents, HTTPRoute):
                cell.cell_contents = route
