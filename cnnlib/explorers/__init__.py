"""Explorer declarations, one module per topic: each declares its controls and a pure render function
with the framework in :mod:`cnnlib.widgets`, so a chapter notebook only calls ``something_explorer().show()``."""
