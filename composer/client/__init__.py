"""Async HTTP to a ComfyDeploy API: the client, error mapping, retries and run tracking. No Qt."""
