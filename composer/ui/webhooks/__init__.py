"""The webhook lab in the window: receiver, events, run timelines, replay, simulator, signing.

- :class:`~composer.ui.webhooks.host.WebhookLabHost` (``window.webhooks``): the dock, the
  Webhooks menu and the form's "Use local receiver" tools; builds the lab on first use.
- :class:`~composer.ui.webhooks.lab.WebhookLab`: the parts wired together; ``add_listener``
  gets each batch of received records, ``timeline_page()`` a run timeline for the runs panel.
- :class:`~composer.ui.webhooks.bridge.ReceiverBridge`: the receiver started on demand off the
  UI thread, its records brought to the UI thread in batches.
- :class:`~composer.ui.webhooks.events_model.EventsModel` / ``EventsFilter``: the events as a
  Qt model (thousands of rows), filtered by run id, event type and status.
- :class:`~composer.ui.webhooks.timeline_page.RunTimelinePage`: one run's webhook events beside
  its polled statuses, with the traps of ``composer.core.timeline`` in words.
- ``ReplayPanel``, ``SimulatorPanel``, ``SigningPanel``, ``EventKeeper`` (history writes).

Nothing here is imported at start-up except ``host`` and ``form_tools`` (Qt and core only).
"""
