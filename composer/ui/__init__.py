"""The Qt user interface: widgets bound to the draft, and views of tracker and receiver events."""
