"""Derived state and look-ups over a namespace's documents: compile state (upd, generated
documents), compile sets (names and masks), the compiler's workspace view, index and macros."""
