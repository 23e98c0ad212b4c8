"""`/admin/webhooks` does what `rejoinder webhook` does, in a browser: an admin adds an
endpoint and is shown its secret once, sees its last deliveries, switches it off and on,
rotates its secret, and sends a failed message again; a refused address is named beside its
field and stores nothing; moderators who are not admins are refused. Run on SQLite and on
PostgreSQL, against a real HTTP receiver."""

from __future__ import annotations

import html
import re

import pytest

from rejoinder.catalogues import translations
from tests.api.test_webhooks import FAST, wait_for_rows
from tests.pages.test_admin_wording import text_of
from tests.pages.test_languages import UKRAINIAN, english_left_over
from tests.receivers import WebhookReceiver
from tests.support import add_moderator, posted, sign_in


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def site(make_client):
    return make_client(**FAST)


@pytest.fixture
def admin(site, database_url):
    add_moderator(database_url, "ada", role="admin")
    return sign_in(site, "ada")


def add(client, csrf, url, events=("comment.created",), **fields):
    return client.post(
        "/admin/webhooks",
        data={"csrf": csrf, "url": url, "events": list(events), **fields},
    )


def words(response) -> str:
    return html.unescape(text_of(response.text))


def test_a_moderator_who_is_not_an_admin_may_not_open_or_use_it(site, database_url, peek):
    add_moderator(database_url)
    csrf = sign_in(site)
    assert 'href="/admin/webhooks"' not in site.get("/admin").text
    assert site.get("/admin/webhooks").status_code == 403
    assert add(site, csrf, "https://hooks.example/in").status_code == 403
    assert peek.scalar("SELECT count(*) FROM webhook_endpoints") == 0


def test_an_admin_adds_an_endpoint_sees_its_secret_once_and_its_deliveries(
    site, admin, receiver, peek
):
    assert 'href="/admin/webhooks"' in site.get("/admin").text
    added = add(site, admin, receiver.url, description="The newsroom's Slack bridge")
    assert added.status_code == 200, added.text
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", added.text).group(0)
    assert secret == peek.scalar("SELECT secret FROM webhook_endpoints")
    assert "it is not shown again" in words(added)
    assert secret not in site.get("/admin/webhooks").text
    receiver.secrets = [secret]
    posted(site, "Tell the newsroom.")
    (delivery,) = receiver.wait_for(lambda got: len(got) >= 1)
    assert delivery.verified
    wait_for_rows(peek, "SELECT state FROM outbox", [("sent",)])
    listed = words(site.get("/admin/webhooks"))
    assert "The newsroom's Slack bridge" in listed
    assert "comment.created sent 1" in listed


def test_an_address_on_the_private_network_is_refused_beside_its_field(
    make_client, database_url, peek
):
    client = make_client()  # webhook_allow_private is off, as in production
    add_moderator(database_url, "ada", role="admin")
    csrf = sign_in(client, "ada")
    refused = add(client, csrf, "http://10.1.2.3/hooks")
    assert refused.status_code == 400
    assert 'aria-invalid="true" aria-describedby="url-error"' in refused.text
    assert "private, loopback or link-local" in words(refused)
    assert 'value="http://10.1.2.3/hooks"' in refused.text  # what the admin typed stays
    no_events = add(client, csrf, "https://hooks.example/in", events=())
    assert no_events.status_code == 400
    assert "Choose at least one event." in words(no_events)
    assert peek.scalar("SELECT count(*) FROM webhook_endpoints") == 0


def test_switching_off_rotating_and_removing(site, admin, receiver, peek):
    add(site, admin, receiver.url)
    endpoint = peek.scalar("SELECT id FROM webhook_endpoints")
    old = peek.scalar("SELECT secret FROM webhook_endpoints")

    def change(action):
        return site.post(
            f"/admin/webhooks/{endpoint}",
            data={"csrf": admin, "action": action},
            follow_redirects=False,
        )

    assert change("disable").status_code == 303
    assert "Off: switched off by hand" in words(site.get("/admin/webhooks"))
    posted(site, "Not sent: the endpoint is off.")
    assert peek.scalar("SELECT count(*) FROM outbox") == 0
    change("enable")
    rotated = change("rotate")
    new = re.search(r"whsec_[A-Za-z0-9+/=]+", rotated.text).group(0)
    assert new != old
    assert peek.rows("SELECT secret, previous_secret FROM webhook_endpoints") == [(new, old)]
    change("end-rotation")
    assert peek.scalar("SELECT previous_secret FROM webhook_endpoints") is None
    assert change("launch").status_code == 400
    change("remove")
    assert peek.scalar("SELECT count(*) FROM webhook_endpoints") == 0


def test_a_failed_message_is_sent_again_from_the_outbox(make_client, database_url, receiver, peek):
    client = make_client(**FAST, outbox_attempts=1, webhook_disable_after=100)
    add_moderator(database_url, "ada", role="admin")
    csrf = sign_in(client, "ada")
    add(client, csrf, receiver.url)
    receiver.answers = [502]
    posted(client, "The receiver is down for a moment.")
    wait_for_rows(peek, "SELECT state FROM outbox", [("failed",)])
    page = client.get("/admin/webhooks")
    assert "Failed: 1." in words(page)
    message = peek.scalar("SELECT id FROM outbox")
    again = client.post(
        f"/admin/outbox/{message}/retry", data={"csrf": csrf}, follow_redirects=False
    )
    assert again.status_code == 303
    receiver.wait_for(lambda got: len(got) >= 1)
    wait_for_rows(peek, "SELECT state FROM outbox", [("sent",)])
    assert client.post(f"/admin/outbox/{message}/retry", data={"csrf": csrf}).status_code == 404


def test_the_page_speaks_the_admins_language(site, admin, receiver):
    add(site, admin, receiver.url)
    page = site.get("/admin/webhooks", headers=UKRAINIAN)
    assert '<html lang="uk">' in page.text
    assert english_left_over(page.text) == []
    assert translations("uk").gettext("Webhooks") in page.text
