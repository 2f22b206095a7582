"""The /work queue and the registry of this sandbox's jobs."""
