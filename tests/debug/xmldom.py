"""The VS Code extension's XML library, @xmldom/xmldom 0.9 (the version its package.json
names), installed from npm and run under node on a stream of server packets
(``js/xmldom_dump.js``): the packets as that client parses them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).parent / "js" / "xmldom_dump.js"


def install_xmldom(folder: Path) -> str:
    """Install the library into ``folder``; the package's path. Skips the test without
    node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the extension's XML library")
    done = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund",
                           "--prefix", str(folder), "@xmldom/xmldom@0.9"],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return str(folder / "node_modules" / "@xmldom" / "xmldom")


def xmldom(module: str, stream: bytes) -> dict[str, Any]:
    """``{documents: [tree...], problems: [...]}`` of a byte stream of packets."""
    done = subprocess.run(["node", str(JS), module], input=stream, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
