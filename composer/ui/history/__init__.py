"""The History view of the window, on the history database (:mod:`composer.core.history`).

- :mod:`composer.ui.history.window_hook`: ``install_history(window, make_client=...)``, the
  History dock beside the runs panel, *View > History* (Ctrl+H), reopening into the draft
- :mod:`composer.ui.history.view`: ``HistoryView`` (list, filters, details, settings)
- :mod:`composer.ui.history.actions`: reopen, save as preset, delete, size bound
- :mod:`composer.ui.history.model`: ``HistoryListModel``, a lazy paged table model
- :mod:`composer.ui.history.filters`: ``HistoryFilters`` -> ``HistoryQuery``
- :mod:`composer.ui.history.details`: ``HistoryDetails``, one entry with its runs and outputs
- :mod:`composer.ui.history.convert`: history records as ``RunState`` values (no Qt)
"""
