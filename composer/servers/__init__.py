"""Local HTTP servers (the sandbox API and the webhook receiver), each on its own thread. No Qt."""
