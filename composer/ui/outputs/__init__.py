"""What runs produced, in the window: thumbnails, the outputs gallery of a run, the batch grid.

- :mod:`composer.ui.outputs.images`: ``ImageLoader`` (bytes through the client, decoded off the UI
  thread, cached with a bound) and ``OutputSource`` (what the views need of the client)
- :mod:`composer.ui.outputs.tile`: ``ImageTile``, one picture or a placeholder with the reason
- :mod:`composer.ui.outputs.gallery`: ``OutputsGallery.show_run(state)``, one run's outputs
- :mod:`composer.ui.outputs.grid_view`: ``BatchGridView.show_batch(body, states)`` and
  ``update_run(state)``, a batch as rows x columns (x pages) of its batch values
- :mod:`composer.ui.outputs.page`: ``install_outputs_page(window)``, the runs panel's Outputs
  page (gallery for a run, grid for a batch, following the selection)
- :mod:`composer.ui.outputs.viewer`: ``ImageViewer``, the large non-modal view
- :mod:`composer.ui.outputs.saving`: ``SaveBar`` (progress and outcome), folder/file choosers
"""
