"""A small MCP server for the tests: Streamable HTTP answered with plain JSON (as the spec
allows), on 127.0.0.1, listing one tool whose description a test may change."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class McpTestServer:
    def __init__(self) -> None:
        self.description = "Echoes its text."
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # no server-initiated stream
                self.send_response(405)
                self.send_header("content-length", "0")
                self.end_headers()

            do_DELETE = do_GET

            def do_POST(self) -> None:
                msg = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                if "id" not in msg:  # a notification
                    self.send_response(202)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                answer: dict[str, Any] = {"jsonrpc": "2.0", "id": msg["id"]}
                method = msg.get("method")
                if method == "initialize":
                    version = (msg.get("params") or {}).get("protocolVersion", "2025-06-18")
                    answer["result"] = {"protocolVersion": version, "capabilities": {"tools": {}},
                                        "serverInfo": {"name": "py-test-tools", "version": "1.0.0"}}
                elif method == "tools/list":
                    answer["result"] = {"tools": [{"name": "echo", "description": state.description,
                                                   "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}]}
                elif method == "ping":
                    answer["result"] = {}
                else:
                    answer["error"] = {"code": -32601, "message": "Method not found"}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/mcp"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
