"""The domain, in pure Python: request kinds, validation, batches, presets, snippets.

Nothing here imports Qt or an HTTP library (the test suite enforces it), so the whole domain is
usable from the CLI, the servers and the tests without a display.
"""
