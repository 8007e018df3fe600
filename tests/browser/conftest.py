"""One headless Chromium for the whole session; every test here skips, saying how to enable it, without one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import missing_tools, skip_reason, start_browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = missing_tools()
    if missing:
        pytest.skip(skip_reason(missing))
    driver = start_browser()  # installed but failing to start is an error, not a skip
    try:
        yield driver
    finally:
        driver.quit()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder skipped up front when the browser is missing (no fixture needs to run)."""
    missing = missing_tools()
    if not missing:
        return
    here = Path(__file__).resolve().parent
    marker = pytest.mark.skip(reason=skip_reason(missing))
    for item in items:
        if here in item.path.parents:
            item.add_marker(marker)
