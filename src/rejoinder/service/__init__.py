"""The application layer: what Rejoinder does, callable without an HTTP request.

Each operation (post, edit, delete, vote, report, erase, moderate, lift a ban, change the
rules, sign in) is a function that takes the ``Services`` and plain values, runs its
transaction through ``store/``, and returns its result, with the events to publish once it
has committed when it announces anything. What each page shows is read the same way (the
moderation queues, the audit log, articles, health). ``web/`` parses requests, calls these
and serialises what they return; anything else that posts, moderates or publishes without
an HTTP request (importers, background work) is to call the same functions. The CLI's
``article`` and ``user`` commands and the demo loader only store rows, announce nothing and
need none of the services, so they call ``store/`` directly. See docs/architecture.md for
who may import whom.
"""
