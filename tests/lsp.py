"""A small Language Server Protocol client: drives yaml-language-server over stdio as VS Code does.

Only what the editor tests need: initialise with the archive's own ``.vscode/settings.json``, answer the
server's configuration requests, open a document, wait for its diagnostics, ask for completions.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

SERVER = Path(__file__).resolve().parents[1] / "tools/node/node_modules/yaml-language-server/bin/yaml-language-server"
"""Installed by ``npm ci --prefix tools/node`` (``.ci/run``), pinned by ``tools/node/package-lock.json``."""


def unavailable() -> str | None:
    """Why the real editor cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "Node.js is not installed (CI installs it)"
    if not SERVER.is_file():
        return f"yaml-language-server is not installed: run npm ci --prefix {SERVER.parents[3]}"
    return None


class YamlServer:
    """One yaml-language-server process for one workspace folder."""

    def __init__(self, root: Path):
        self.root = root
        settings = json.loads((root / ".vscode/settings.json").read_text(encoding="utf-8"))
        self.settings = {"yaml": {"schemas": settings["yaml.schemas"], "validate": True, "completion": True, "hover": True, "format": {"enable": False}}}
        env = {**os.environ, "NODE_OPTIONS": ""}
        self.process = subprocess.Popen(
            ["node", str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root, env=env
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.versions: dict[str, int] = {}
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {
                    "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": True}},
                    "textDocument": {"publishDiagnostics": {}, "completion": {"completionItem": {"snippetSupport": False}}},
                },
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    # -- protocol ---------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.messages.put(json.loads(stream.read(length)))

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self._send({"id": wanted, "method": method, "params": params})
        while True:
            message = self._next(timeout)
            if message.get("id") == wanted and "method" not in message:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result")

    def _next(self, timeout: float) -> dict[str, Any]:
        message = self.messages.get(timeout=timeout)
        method = message.get("method")
        if method == "workspace/configuration":  # the server asks for its settings, section by section
            items = message["params"]["items"]
            self._send({"id": message["id"], "result": [self.settings.get(i.get("section", ""), self.settings["yaml"]) for i in items]})
        elif method and "id" in message:  # other requests (registrations, progress): accept them
            self._send({"id": message["id"], "result": None})
        elif method == "textDocument/publishDiagnostics":
            self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
        return message

    # -- what a test asks -------------------------------------------------
    def open(self, rel: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Open a file as the editor does (or send its new text, when open) and return the diagnostics the server publishes for it."""
        path = self.root / rel
        uri = path.as_uri()
        self.diagnostics.pop(uri, None)
        text = path.read_text(encoding="utf-8")
        version = self.versions.get(uri, 0) + 1
        self.versions[uri] = version
        if version == 1:
            self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        else:  # open already: the editor sends the new text
            self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})
        while uri not in self.diagnostics:
            self._next(timeout)
        return self.diagnostics[uri]

    def complete(self, rel: str, line: int, character: int) -> list[str]:
        """The labels the server offers at a position of an open file (0-based line and character)."""
        return list(self.completions(rel, line, character))

    def completions(self, rel: str, line: int, character: int) -> dict[str, str]:
        """What the server offers at a position: each label with the documentation shown beside it."""
        where = {"textDocument": {"uri": (self.root / rel).as_uri()}, "position": {"line": line, "character": character}}
        result = self.request("textDocument/completion", where)
        items = result.get("items", []) if isinstance(result, dict) else (result or [])
        docs = {}
        for item in items:
            doc = item.get("documentation", "")
            docs[item["label"]] = doc.get("value", "") if isinstance(doc, dict) else str(doc)
        return docs

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=5)
            self.notify("exit", {})
            self.process.wait(timeout=5)
        except Exception:
            self.process.kill()
            self.process.wait()
