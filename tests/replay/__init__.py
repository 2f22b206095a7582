"""Replay of the VS Code ObjectScript extension's statements and routes (issue 16)."""
