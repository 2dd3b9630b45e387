"""GraphiQL in a real browser: headless Chromium (driven over its DevTools protocol) opens
GET /graphql on a running gateway, the API key is typed into the page's key field, the query
runs (the key sent as the Authorization header) and its answer shows on the page; without a
key the page shows the gateway's refusal. (`make setup` installs Chromium.)"""

import asyncio
import json
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from devstack.pytest_plugin import DatabaseFactory
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import create_tenant
from persistence.migrations import upgrade_async
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from websockets.asyncio.client import ClientConnection, connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEVTOOLS = re.compile(rb"DevTools listening on (ws://\S+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def served(database_factory: DatabaseFactory) -> AsyncIterator[tuple[str, str]]:
    """A gateway on a real port: its base URL and an API key."""
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
        )
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    async with app.router.lifespan_context(app):
        async with app.state.process.uow() as uow:
            tenant = await create_tenant(uow, "Browser Ltd", app.state.sealer)
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110  (uvicorn only offers this flag)
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", tenant.api_key
        finally:
            server.should_exit = True
            await serving


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket, self.next_id = socket, 0

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        answer = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"].get("value")

    async def until(self, expression: str, timeout_s: float = 15.0) -> Any:
        async with asyncio.timeout(timeout_s):
            while not (value := await self.evaluate(expression)):  # noqa: ASYNC110  (a page)
                await asyncio.sleep(0.1)
        return value

    async def type_into(self, element_id: str, text: str) -> None:
        await self.evaluate(
            f"(e => {{ e.value = ''; e.focus(); }})(document.getElementById('{element_id}'))"
        )
        await self.send("Input.insertText", text=text)


@pytest_asyncio.fixture(loop_scope="session")
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    if CHROMIUM is None:
        pytest.skip("no Chromium here: `make setup` installs it (as root, on Debian)")
    browser = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # as root in a container
        "--disable-gpu",
        "--no-first-run",
        "--remote-debugging-port=0",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert browser.stderr is not None
        async with asyncio.timeout(30):
            while not (found := DEVTOOLS.search(await browser.stderr.readline())):
                pass
        devtools = found.group(1).decode().split("/devtools/")[0].replace("ws://", "http://")
        async with httpx.AsyncClient() as http:
            targets = (await http.get(f"{devtools}/json/list")).json()
        tab = next(t for t in targets if t["type"] == "page")
        async with connect(tab["webSocketDebuggerUrl"], max_size=None) as socket:
            yield Page(socket)
    finally:
        browser.kill()
        await browser.wait()


async def test_graphiql_runs_a_query_with_the_key_typed_in(
    served: tuple[str, str], page: Page
) -> None:
    base, key = served
    await page.send("Page.navigate", url=f"{base}/graphql")
    assert await page.until("document.getElementById('run') && document.title") == (
        "Cairn GraphiQL"
    )
    # No key yet: the gateway's refusal is what shows.
    await page.evaluate("document.getElementById('run').click()")
    refused = await page.until("document.getElementById('answer').textContent")
    assert "UNAUTHENTICATED" in refused
    await page.type_into("api-key", key)
    await page.type_into("query", "query Who($t: String!) { __type(name: $t) { name } }")
    await page.type_into("variables", '{"t": "Program"}')
    await page.evaluate(
        "document.getElementById('answer').textContent = '';document.getElementById('run').click()"
    )
    shown = await page.until("document.getElementById('answer').textContent")
    assert json.loads(shown)["data"] == {"__type": {"name": "Program"}}
    assert await page.evaluate("document.getElementById('status').textContent") == "HTTP 200"


async def test_the_page_is_not_a_query_answer(served: tuple[str, str]) -> None:
    """A GraphQL GET (a `query` parameter) is still GraphQL; the page is only for browsers."""
    base, key = served
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{base}/graphql", headers={"Accept": "text/html"})
        assert page.headers["content-type"].startswith("text/html")
        assert "script-src 'nonce-" in page.headers["content-security-policy"]
        answer = await http.get(
            f"{base}/graphql",
            params={"query": "{ __typename }"},
            headers={"Accept": "text/html, application/json", "Authorization": f"Bearer {key}"},
        )
        assert answer.json()["data"] == {"__typename": "Query"}
