"""Async HTTP to a ComfyDeploy API: the client, error mapping, retries and run tracking. No Qt.

Modules (imported one by one, so a caller loads only what it uses):

- :mod:`composer.client.api`: ``ApiClient`` (submit, get_run, cancel, catalogue, downloads)
- :mod:`composer.client.results`: what a submit answers (``RunQueued``, ``BatchQueued``, ...)
- :mod:`composer.client.errors`: the ``ApiError`` tree, with messages that say what to do
- :mod:`composer.client.retry`: when reads are sent again (``RetryPolicy``)
- :mod:`composer.client.stream`: ``RunStream``, the updates of a stream-mode run
- :mod:`composer.client.tracker`: ``RunTracker``, one run to its end (poll / stream / webhooks)
- :mod:`composer.client.group`: ``TrackerGroup``, hundreds of runs and batch discovery
- :mod:`composer.client.batches`: which discovered run belongs to which batch combination
- :mod:`composer.client.access`: ``TargetAccess`` (a profile's URL and key), ``check_connection``
- :mod:`composer.client.session`: ``Session``, what the window and ``composer submit`` send
  through (submit, follow, record in the history, re-run, cancel, webhooks)
- :mod:`composer.client.submission`: ``Submission``, one request and what became of it
- :mod:`composer.client.session_history`: the session's history writes, off the event loop
"""
