"""The runs of the window: sending, following, and showing them (Qt).

Modules (imported one by one; none loads before the window is on screen):

- :mod:`~composer.ui.runs.controller`: ``RunsController``, the window's hub: a
  :class:`~composer.client.session.Session` per target and key, submit / cancel / re-run, errors
  at the fields or in a banner, the Targets dialog, webhooks (``feed_webhook``), listeners
  (``on_run``, ``on_submission``). The app makes one (``composer.app.start_runs``); the window
  keeps it as ``window.runs_controller``.
- :mod:`~composer.ui.runs.view`: ``RunsView``, the panel in the window's bottom dock
  (``window.runs_view``): the tree, its actions, and the detail area
  (``add_detail_page(title, widget)``, ``selection_changed``).
- :mod:`~composer.ui.runs.selection`: ``RunSelection`` and ``BatchSnapshot``, what detail pages
  are shown (plain values).
- :mod:`~composer.ui.runs.model`: ``RunsModel``, the tree model (coalesced updates);
  :mod:`~composer.ui.runs.cells` what each cell shows; :mod:`~composer.ui.runs.texts` the words.
- :mod:`~composer.ui.runs.delegates`: the status chip and the progress bar.
- :mod:`~composer.ui.runs.details`: the "Summary" detail page.
- :mod:`~composer.ui.runs.local_servers`: the built-in sandbox (its own process, on first use)
  and the local webhook endpoint that finds a model batch's runs.
- :mod:`~composer.ui.runs.notify`: the finish notice (system tray).
"""
