"""Fixtures for browser tests (real Chromium, a live ``cockpit serve`` on the demo data): defined in
``tests/support/live.py``, shared with the integration tests that start servers, and registered here."""

from tests.support.live import (  # noqa: F401 (pytest finds fixtures by their name in conftest)
    browser,
    demo_data_dir,
    live_server,
    page_opener,
    server_factory,
)
