"""Marshmallow schemas of the API: request bodies and documented responses.

Each module is named after the view module it serves (``actions``, ``documents``, ``server``).
May import: marshmallow and each other; nothing of the services.
"""
