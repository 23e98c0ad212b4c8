"""``rejoinder webhook add | list | deliveries | enable | disable | rotate | end-rotation |
remove``: the publisher's webhook endpoints from a shell (``/admin/webhooks`` does the same
in a browser)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from rejoinder.config import Settings
from rejoinder.domain.errors import RejoinderError
from rejoinder.domain.outgoing import HookEvent
from rejoinder.store.webhooks import Endpoint

CHANGES = ("enable", "disable", "rotate", "end-rotation", "remove")


def add_parser(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    webhook = commands.add_parser("webhook", help="send events to the newsroom's other systems")
    actions = webhook.add_subparsers(dest="webhook_command", required=True)
    add = actions.add_parser("add", help="add an endpoint; prints its signing secret")
    add_common(add)
    add.add_argument("url", help="the https address that receives the events")
    add.add_argument(
        "--events",
        default="*",
        help="space- or comma-separated, or * for all (default): "
        + ", ".join(event.value for event in HookEvent),
    )
    add.add_argument("--description", help="what it is for, shown in the list")
    listing = actions.add_parser("list", help="the endpoints and how their deliveries went")
    add_common(listing)
    deliveries = actions.add_parser("deliveries", help="an endpoint's last deliveries")
    add_common(deliveries)
    deliveries.add_argument("id", type=int)
    for name in CHANGES:
        action = actions.add_parser(name, help=_HELP[name])
        add_common(action)
        action.add_argument("id", type=int)


_HELP = {
    "enable": "switch an endpoint on again (after it was switched off for failing)",
    "disable": "stop sending to an endpoint, keeping it",
    "rotate": "give an endpoint a new secret; the old one keeps signing until end-rotation",
    "end-rotation": "stop signing with the endpoint's previous secret",
    "remove": "remove an endpoint and its deliveries",
}


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        for line in asyncio.run(_command(settings, args)):
            print(line)
    except RejoinderError as exc:
        print(f"rejoinder webhook: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _describe(endpoint: Endpoint) -> str:
    state = "on" if endpoint.enabled else f"off: {endpoint.disabled_reason or 'switched off'}"
    return (
        f"{endpoint.id}\t{endpoint.url}\t{' '.join(endpoint.events)}\t{state}"
        f"\tfailures in a row: {endpoint.failures_in_row}"
    )


async def _command(settings: Settings, args: argparse.Namespace) -> list[str]:
    from rejoinder.service import webhooks
    from rejoinder.store import outbox as outbox_store
    from rejoinder.store import webhooks as webhook_store
    from rejoinder.store.database import Database

    database = Database(settings.database_url)
    try:
        command = args.webhook_command
        if command == "add":
            added = await webhooks.register(
                database, settings, args.url, args.events, args.description, datetime.now(UTC)
            )
            return [
                f"added webhook {added.id}: {added.url}",
                f"events: {' '.join(added.events)}",
                f"secret: {added.secret}",
                "give the receiver this secret; it verifies each request's webhook-signature",
            ]
        if command == "list":
            async with database.read() as connection:
                return [_describe(e) for e in await webhook_store.all_endpoints(connection)]
        if command == "deliveries":
            async with database.read() as connection:
                if await webhook_store.get(connection, args.id) is None:
                    raise webhooks.no_endpoint(args.id)
                sent = await outbox_store.latest(connection, endpoint_id=args.id)
            return [
                f"{m.created_at:%Y-%m-%d %H:%M:%S}\t{m.message_id}\t{m.event}\t{m.state.value}"
                f"\tattempts {m.attempts}\t{m.last_error or ''}".rstrip()
                for m in sent
            ]
        changed = await webhooks.change(database, args.id, command)
        if changed is None:
            return [f"removed webhook {args.id}"]
        if command == "rotate":
            return [
                f"new secret for webhook {args.id}: {changed.secret}",
                "requests are signed with the new and the old secret until "
                f"`rejoinder webhook end-rotation {args.id}`",
            ]
        return [_describe(changed)]
    finally:
        await database.dispose()
