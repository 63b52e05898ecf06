"""What runs produced, in the window: thumbnails, the outputs gallery of a run, the batch grid.

- :mod:`composer.ui.outputs.images`: ``ImageLoader`` (bytes through the client, decoded off the UI
  thread, cached with a bound) and ``OutputSource`` (what the views need of the client)
- :mod:`composer.ui.outputs.tile`: ``ImageTile``, one picture or a placeholder with the reason
"""
