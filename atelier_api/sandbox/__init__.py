"""The sandbox around the namespaces: where their workspaces come from and how long it lives.

Owns: workspace sources (a folder, a git clone, an empty folder) and their recorded original
state (``workspaces``, ``git_workspace``, ``changes``), the lifetime and idle timers and the
shutdown drain (``lifecycle``), and the file watcher that takes in changes other programs make
(``watcher``), and the ``/_vscode`` web application of the server's own ``%SYS`` where
server-side folders keep their ``.vscode`` files (``vscode_app``). Operations on a whole
running sandbox are in ``atelier_api.operations``.
May import: ``work``, ``config``, ``documents``, ``adapters``, ``errors``, ``version``.
"""
