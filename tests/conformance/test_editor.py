"""The editor schema `benchgen init` points at resolves offline: the real
yaml-language-server (npm, pinned in package.json), driven headless over stdio as an
editor drives it, checks a config against it (issue 15).

Needs Node and `npm ci` here, like tekton-lint: outside CI it skips with a how-to,
with CI=true it must run.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.conformance

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SERVER = HERE / "node_modules" / ".bin" / "yaml-language-server"
HOW = "run `make conformance` (or `npm ci` in tests/conformance; needs Node >= 20)"


@pytest.fixture(scope="module")
def server() -> Path:
    if not SERVER.exists() or shutil.which("node") is None:
        reason = "yaml-language-server is not installed"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason} (CI=true: this test must run)", pytrace=False)
        pytest.skip(f"{reason}; {HOW}")
    return SERVER


class Lsp:
    """A minimal LSP client over the server's stdio."""

    def __init__(self, server: Path, root: Path) -> None:
        self.proc = subprocess.Popen(
            [str(server), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            1, "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
        )
        self.notify("initialized", {})
        # No schema store (no network); validation on, as editors have it.
        settings = {"yaml": {"validate": True, "schemaStore": {"enable": False}}}
        self.notify("workspace/didChangeConfiguration", {"settings": settings})

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline().strip()) != b"":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not length:
                return
            self.inbox.put(json.loads(out.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, ident: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._send({"id": ident, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == ident and "method" not in m)

    def wait(self, match: Any, timeout: float = 30) -> dict[str, Any]:
        while True:
            message = self.inbox.get(timeout=timeout)
            if "id" in message and "method" in message:  # the server asks: answer nothing
                self._send({"id": message["id"], "result": None})
            elif match(message):
                return message

    def diagnostics(self, path: Path) -> list[dict[str, Any]]:
        """What an editor shows for the file, as the server publishes it on opening."""
        uri = path.resolve().as_uri()
        document = {"uri": uri, "languageId": "yaml", "version": 1, "text": path.read_text()}
        self.notify("textDocument/didOpen", {"textDocument": document})
        published = self.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            )
        )
        diagnostics: list[dict[str, Any]] = published["params"]["diagnostics"]
        return diagnostics

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def init(config: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "generator.cli", "init", str(config), *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.parametrize("schema", [None, "schemas/benchmark.json"])
def test_the_editor_checks_an_init_config_against_its_schema(
    server: Path, tmp_path: Path, schema: str | None
) -> None:
    config = tmp_path / "deploy" / "benchmark.yaml"
    init(config, *(["--schema", str(tmp_path / schema)] if schema else []))
    typo = config.with_name("typo.yaml")
    typo.write_text(config.read_text().replace("    maxInterval: 10m", "    maxintervall: 10m"))
    missing = config.with_name("missing.yaml")
    missing.write_text(
        config.read_text().replace("$schema=", "$schema=nowhere/", 1)
    )  # the negative control: what an unresolvable reference looks like

    lsp = Lsp(server, tmp_path)
    try:
        assert lsp.diagnostics(config) == []
        (problem,) = lsp.diagnostics(typo)
        assert problem["message"] == "Property maxintervall is not allowed."
        assert problem["range"]["start"]["line"] == typo.read_text().splitlines().index(
            "    maxintervall: 10m"
        )
        schema_file = tmp_path / (schema or "deploy/benchmark.schema.json")
        assert problem["data"]["schemaUri"] == [schema_file.resolve().as_uri()]
        unresolved = lsp.diagnostics(missing)
        assert any("Unable to load schema" in d["message"] for d in unresolved), unresolved
    finally:
        lsp.close()
