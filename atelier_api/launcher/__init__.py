"""The launcher: gives each user their own throw-away sandbox (an ``atelier-api serve``
container) on demand, under the operator's business rules, and reverse-proxies the IDE's
requests to it. A separate Flask service: ``atelier-api launcher``; ``docs/launcher.md``.

It never imports the server's app: it runs the project's image, it does not embed it.
"""
