"""The ``/_vscode`` web application: where server-side (isfs) folders keep their ``.vscode``.

The VS Code ObjectScript extension cannot store a ``.vscode`` folder inside an ``isfs``
workspace folder, so it asks ``GET %SYS/cspapps/%SYS`` whether the server has a ``/_vscode``
web application and, when it does, reads and writes ``isfs://server:NS/.vscode/<path>`` as the
``%SYS`` web document ``/_vscode/NS/<path>`` (``redirectDotvscodeRoot``: the ``.vscode`` level
is dropped, the namespace upper-cased). On IRIS that web application is an administrator's
choice: a ``%SYS`` web application whose physical folder is a server directory, apart from
any namespace's code. One application serves every namespace; each keeps its own subfolder.

Here ``%SYS`` gets ``/_vscode`` served from the folder ``_vscode`` of the ``%SYS`` workspace,
but only when that workspace is the server's own: a folder under the state dir (``%SYS`` not
configured, or an ``empty:`` source without a folder). A ``%SYS`` that is a folder of the
user's is never written into unasked: it has ``/_vscode`` only when its ``webapps`` name it
(``webapps = {"/csp/sys" = "csp/sys", "/_vscode" = "_vscode"}``). Its files are ``%SYS``
documents like any other (listed, compiled as web files, reset with ``%SYS``).
"""

from __future__ import annotations

import os
from dataclasses import replace

from atelier_api.config import NamespaceConfig
from atelier_api.documents.fsutil import is_inside
from atelier_api.documents.layout import WebApp

SYS_NAMESPACE = "%SYS"
#: the web application the extension looks for, and its folder in the %SYS workspace
VSCODE_APP = WebApp("/_vscode", "_vscode")


def with_vscode_app(ns: NamespaceConfig, state: str) -> NamespaceConfig:
    """``ns`` with the ``/_vscode`` web application added when it is the server's own
    ``%SYS`` (its folder under ``state``, or not chosen yet) and no application of its has
    that path or folder already; otherwise ``ns`` unchanged."""
    if ns.name != SYS_NAMESPACE:
        return ns
    if ns.root and not is_inside(os.path.realpath(state), ns.root):
        return ns
    if ns.source == "git":  # a clone of someone's repository, not a folder of ours
        return ns
    for app in ns.webapps:
        if app.path.lower() == VSCODE_APP.path or app.folder.lower() == VSCODE_APP.folder:
            return ns
    return replace(ns, webapps=(*ns.webapps, VSCODE_APP))
