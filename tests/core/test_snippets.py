"""Endpoint choice and the code snippets: what is shown is what is sent."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest

from composer.core.endpoints import Answer, choose_endpoint
from composer.core.snippets import (
    KEY_VARIABLE,
    curl_snippet,
    python_snippet,
    snippet,
    typescript_snippet,
)

DEPLOYMENT = "123e4567-e89b-12d3-a456-426614174000"


@pytest.mark.parametrize(
    ("body", "path", "answer"),
    [
        ({"deployment_id": DEPLOYMENT}, "/run/deployment/queue", Answer.RUN_ID),
        (
            {"deployment_id": DEPLOYMENT, "execution_mode": "sync"},
            "/run/deployment/sync",
            Answer.OUTPUTS,
        ),
        (
            {"deployment_id": DEPLOYMENT, "execution_mode": "stream"},
            "/run/deployment/stream",
            Answer.STREAM,
        ),
        (
            {"deployment_id": DEPLOYMENT, "execution_mode": "sync_first_result"},
            "/run",
            Answer.FIRST_RESULT,
        ),
        ({"deployment_id": DEPLOYMENT, "batch_input_params": {"a": [1]}}, "/run", Answer.BATCH_ID),
        ({"deployment_id": DEPLOYMENT, "batch_number": 3}, "/run", Answer.BATCH_ID),
        ({"deployment_id": DEPLOYMENT, "batch_number": 1}, "/run/deployment/queue", Answer.RUN_ID),
        ({"deployment_id": DEPLOYMENT, "is_native_run": True}, "/run", Answer.WORKER_PARAMS),
        ({"model_id": "flux-dev"}, "/run", Answer.RUN_ID),
        ({"model_id": "flux-dev", "execution_mode": "sync"}, "/run", Answer.OUTPUTS),
        ({"model_id": "flux-dev", "execution_mode": "stream"}, "/run", Answer.STREAM),
    ],
)
def test_endpoint_choice(body: dict[str, Any], path: str, answer: Answer) -> None:
    endpoint = choose_endpoint(body)
    assert (endpoint.method, endpoint.path, endpoint.answer) == ("POST", path, answer)


BODY = {"inputs": {"prompt": 'it\'s a "quoted" $HOME `x`', "seed": 42}, "model_id": "flux-dev"}


def test_curl_sends_the_exact_body_without_a_key() -> None:
    text = curl_snippet("https://api.comfydeploy.com/api", BODY)
    assert "'https://api.comfydeploy.com/api/run'" in text
    assert f"Bearer ${KEY_VARIABLE}" in text
    body_text = re.search(r"<<'(\w+)'\n(.*)\n\1\n", text, re.S)
    assert body_text is not None
    assert json.loads(body_text.group(2)) == BODY


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        {**BODY, "execution_mode": "stream"},
        {**BODY, "batch_number": 3},
        {**BODY, "execution_mode": "sync_first_result"},
        {**BODY, "is_native_run": True, "webhook": None},
    ],
)
def test_python_snippet_is_valid_python_with_the_body(body: dict[str, Any]) -> None:
    text = python_snippet("http://127.0.0.1:3011/api", body)
    tree = ast.parse(text)
    assigned = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigned["BODY"]) == body
    assert "os.environ['COMFY_DEPLOY_API_KEY']" in text


def test_python_snippet_polls_queued_runs() -> None:
    text = python_snippet("https://x/api", BODY)
    assert 'client.get(f"/run/{run_id}"' in text and "TERMINAL" in text


def test_typescript_snippet_posts_the_snake_case_body() -> None:
    text = typescript_snippet("https://x/api", {"deployment_id": DEPLOYMENT})
    assert "`${BASE_URL}/run/deployment/queue`" in text
    assert f'"deployment_id": "{DEPLOYMENT}"' in text
    assert f"process.env.{KEY_VARIABLE}" in text


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown snippet language"):
        snippet("cobol", "https://x/api", BODY)
