"""Text search over a namespace's documents."""
