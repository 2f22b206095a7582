"""Root of the test suites. Its presence makes pytest put ``tests/`` on ``sys.path`` (this
folder is not a package), so every suite can import the shared ``envelopes`` and
``samples`` modules."""
