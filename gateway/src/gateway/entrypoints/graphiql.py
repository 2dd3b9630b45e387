"""GraphiQL for integrators: GET /graphql from a browser (Accept: text/html, no `query`) gets a
small self-contained page — a field for the API key (sent as `Authorization: Bearer`), the
query, its variables and the answer. Self-contained because Strawberry's GraphiQL loads its
code from a CDN, which a locked-down network or a strict CSP refuses.

Served before authentication (a browser's first GET carries no key); off where CAIRN_API_DOCS
is false (production), like every process's /docs. End-user tokens get nothing from it: they
may run only trusted documents, and introspection is refused to them."""

import secrets
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

PATH: Final = "/graphql"

PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cairn GraphiQL</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; max-width: 72rem; }
  label { display: block; margin-top: 0.8rem; font-weight: 600; }
  input, textarea { width: 100%; box-sizing: border-box; font: 13px ui-monospace, monospace; }
  textarea { height: 12rem; }
  #variables { height: 4rem; }
  pre { background: #f4f4f4; padding: 0.8rem; min-height: 4rem; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>Cairn GraphiQL</h1>
<p>Integrator API keys only (end-user tokens run trusted documents, not free queries).
Ctrl+Enter runs the query.</p>
<label for="api-key">API key</label>
<input id="api-key" type="password" autocomplete="off" placeholder="cairn_…">
<label for="query">Query</label>
<textarea id="query" spellcheck="false">{ __typename }</textarea>
<label for="variables">Variables (JSON)</label>
<textarea id="variables" spellcheck="false">{}</textarea>
<p><button id="run" type="button">Run</button> <span id="status"></span></p>
<pre id="answer"></pre>
<script nonce="NONCE">
(() => {
  const $ = (id) => document.getElementById(id);
  async function run() {
    $("status").textContent = "running…";
    let variables;
    try {
      variables = JSON.parse($("variables").value || "{}");
    } catch (error) {
      $("status").textContent = "";
      $("answer").textContent = "variables: " + error.message;
      return;
    }
    const response = await fetch(window.location.pathname, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/graphql-response+json, application/json",
        "Authorization": "Bearer " + $("api-key").value.trim(),
      },
      body: JSON.stringify({ query: $("query").value, variables }),
    });
    const text = await response.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* as sent */ }
    $("status").textContent = "HTTP " + response.status;
    $("answer").textContent = shown;
  }
  $("run").addEventListener("click", run);
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey && event.key === "Enter") run();
  });
})();
</script>
</body>
</html>
"""


class GraphiQLPage:
    """ASGI middleware: the page for a browser's GET /graphql; everything else passes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _wants_page(scope):
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        body = PAGE.replace("NONCE", nonce).encode()
        policy = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-security-policy", policy.encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _wants_page(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != PATH:
        return False
    if b"query=" in scope.get("query_string", b""):  # a GraphQL query over GET
        return False
    accept = dict(scope["headers"]).get(b"accept", b"")
    return b"text/html" in accept
