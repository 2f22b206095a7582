"""Long work: the ``/work`` queue and the registry of this sandbox's jobs.

Owns: queued jobs with states, a cancel token, a time limit and bounded retention
(``queue``), and the job list ``%SYS/jobs`` shows (``jobs``). Knows nothing of what a job does.
May import: ``config``, ``documents``, ``adapters`` (the shared cancel token), ``errors``.
"""
