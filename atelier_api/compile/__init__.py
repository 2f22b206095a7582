"""Compiling: the adapter contract, adapter discovery, the compile service and state."""
