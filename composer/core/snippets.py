"""Ready-to-run code for a request: curl, Python (httpx) and TypeScript (fetch).

Every snippet sends exactly the body composer shows, to the endpoint :func:`choose_endpoint`
picks, and reads the API key from ``$COMFY_DEPLOY_API_KEY``: a key is never written into one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from composer.core.endpoints import Answer, Endpoint, choose_endpoint

KEY_VARIABLE: Final = "COMFY_DEPLOY_API_KEY"
SNIPPET_LANGUAGES: Final[tuple[str, ...]] = ("curl", "python", "typescript")


def body_json(body: Mapping[str, Any], indent: int | None = 2) -> str:
    """The body as the JSON text composer sends (UTF-8, key order kept)."""
    return json.dumps(body, indent=indent, ensure_ascii=False)


def snippet(language: str, base_url: str, body: Mapping[str, Any]) -> str:
    """The snippet in ``language`` (one of :data:`SNIPPET_LANGUAGES`)."""
    endpoint = choose_endpoint(body)
    if language == "curl":
        return curl_snippet(base_url, body, endpoint)
    if language == "python":
        return python_snippet(base_url, body, endpoint)
    if language == "typescript":
        return typescript_snippet(base_url, body, endpoint)
    raise ValueError(f"unknown snippet language {language!r}; use one of {SNIPPET_LANGUAGES}")


def curl_snippet(base_url: str, body: Mapping[str, Any], endpoint: Endpoint | None = None) -> str:
    """A curl command; the body travels in a quoted here-document, so nothing needs escaping."""
    endpoint = endpoint or choose_endpoint(body)
    text = body_json(body)
    fence = "JSON"
    while fence in text.splitlines():
        fence += "_END"
    accept = " \\\n  -H 'Accept: text/event-stream' -N" if endpoint.answer is Answer.STREAM else ""
    output = " \\\n  -o first-result.png" if endpoint.answer is Answer.FIRST_RESULT else ""
    return (
        f"curl -sS -X {endpoint.method} {_shell_quote(endpoint.url(base_url))} \\\n"
        f'  -H "Authorization: Bearer ${KEY_VARIABLE}" \\\n'
        f"  -H 'Content-Type: application/json'{accept}{output} \\\n"
        f"  --data-binary @- <<'{fence}'\n{text}\n{fence}\n"
    )


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


_PY_FOLLOW: Final[dict[Answer, str]] = {
    Answer.RUN_ID: """\
    run_id = response.json()["run_id"]
    print("queued", run_id)
    delay = 1.0
    while True:
        run = client.get(f"/run/{run_id}", params={"queue_position": "true"})
        run.raise_for_status()
        run_data = run.json()
        print(run_data["status"], run_data.get("live_status") or "", run_data.get("progress"))
        if run_data["status"] in TERMINAL:
            break
        time.sleep(delay)
        delay = min(delay * 1.5, 10.0)
    print(json.dumps(run_data["outputs"], indent=2))
""",
    Answer.BATCH_ID: """\
    # A batch answers only its batch id; each run posts its own webhooks with its run_id.
    print("batch", response.json()["batch_id"])
""",
    Answer.OUTPUTS: """\
    print(json.dumps(response.json(), indent=2))
""",
    Answer.FIRST_RESULT: """\
    with open("first-result.png", "wb") as output:
        output.write(response.content)
    print("saved first-result.png", response.headers.get("content-type"))
""",
    Answer.WORKER_PARAMS: """\
    # is_native_run: the server created the run and executes nothing; these are worker parameters.
    print(json.dumps(response.json(), indent=2))
""",
}


def python_snippet(base_url: str, body: Mapping[str, Any], endpoint: Endpoint | None = None) -> str:
    """A Python script using httpx; for queued runs it polls ``GET /run/{id}`` to the end."""
    endpoint = endpoint or choose_endpoint(body)
    import pprint  # only for this snippet (start-up skips it)

    literal = pprint.pformat(dict(body), indent=4, width=88, sort_dicts=False)
    header = f'''\
"""Send a ComfyDeploy run. Needs httpx (pip install httpx) and ${KEY_VARIABLE}."""

import json
import os
import time

import httpx

BASE_URL = {json.dumps(base_url.rstrip("/"))}
TERMINAL = {{"success", "failed", "timeout", "cancelled"}}
BODY = {literal}

headers = {{"Authorization": f"Bearer {{os.environ['{KEY_VARIABLE}']}}"}}
timeout = httpx.Timeout(30.0, read=600.0)  # sync runs keep the request open until they end
with httpx.Client(base_url=BASE_URL, headers=headers, timeout=timeout) as client:
'''
    if endpoint.answer is Answer.STREAM:
        return header + (
            f'    with client.stream("{endpoint.method}", "{endpoint.path}", json=BODY)'
            " as response:\n"
            "        response.raise_for_status()\n"
            "        for line in response.iter_lines():\n"
            "            if line:\n"
            "                print(line)\n"
        )
    return (
        header
        + f'    response = client.request("{endpoint.method}", "{endpoint.path}", json=BODY)\n'
        + "    response.raise_for_status()\n"
        + _PY_FOLLOW[endpoint.answer]
    )


_TS_FOLLOW: Final[dict[Answer, str]] = {
    Answer.RUN_ID: """\
const { run_id } = await response.json();
console.log("queued", run_id);
const terminal = new Set(["success", "failed", "timeout", "cancelled"]);
let delay = 1000;
let run;
for (;;) {
  const poll = await fetch(`${BASE_URL}/run/${run_id}?queue_position=true`, { headers });
  if (!poll.ok) throw new Error(`${poll.status}: ${await poll.text()}`);
  run = await poll.json();
  console.log(run.status, run.live_status ?? "", run.progress);
  if (terminal.has(run.status)) break;
  await new Promise((resolve) => setTimeout(resolve, delay));
  delay = Math.min(delay * 1.5, 10000);
}
console.log(JSON.stringify(run.outputs, null, 2));
""",
    Answer.BATCH_ID: """\
// A batch answers only its batch id; each run posts its own webhooks with its run_id.
console.log("batch", (await response.json()).batch_id);
""",
    Answer.OUTPUTS: """\
console.log(JSON.stringify(await response.json(), null, 2));
""",
    Answer.FIRST_RESULT: """\
const { writeFile } = await import("node:fs/promises");
await writeFile("first-result.png", Buffer.from(await response.arrayBuffer()));
console.log("saved first-result.png", response.headers.get("content-type"));
""",
    Answer.STREAM: """\
const decoder = new TextDecoder();
for await (const chunk of response.body) process.stdout.write(decoder.decode(chunk));
""",
    Answer.WORKER_PARAMS: """\
// is_native_run: the server created the run and executes nothing; these are worker parameters.
console.log(JSON.stringify(await response.json(), null, 2));
""",
}


def typescript_snippet(
    base_url: str, body: Mapping[str, Any], endpoint: Endpoint | None = None
) -> str:
    """A TypeScript (Node 18+, ES module) script using fetch and the snake_case wire body."""
    endpoint = endpoint or choose_endpoint(body)
    return (
        f"// Send a ComfyDeploy run. Node 18+; needs ${KEY_VARIABLE}.\n"
        "// The body is the API's snake_case JSON (the SDK's camelCase names are not sent).\n"
        f"const BASE_URL = {json.dumps(base_url.rstrip('/'))};\n"
        f"const body = {body_json(body)};\n"
        "const headers = {\n"
        f"  Authorization: `Bearer ${{process.env.{KEY_VARIABLE}}}`,\n"
        '  "Content-Type": "application/json",\n'
        "};\n"
        f"const response = await fetch(`${{BASE_URL}}{endpoint.path}`, {{\n"
        f'  method: "{endpoint.method}",\n'
        "  headers,\n"
        "  body: JSON.stringify(body),\n"
        "});\n"
        "if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);\n"
        + _TS_FOLLOW[endpoint.answer]
    )
