"""Open local HTML pages in headless Chromium (Selenium + the system chromedriver) and report what went wrong.

:func:`start_browser` starts one headless Chromium with its console log and its performance (network) log
recorded; :func:`check_page` opens one ``file://`` page and returns a :class:`PageCheck` (console errors, every
request made, images and whether they loaded, relative links and whether their targets exist, the page's
``data-metric`` figures); :func:`assert_page_ok` fails with every problem found, naming the page;
:func:`assert_metrics_match` compares the figures with metrics.json; :func:`overflow_px` measures sideways
scrolling at a phone's width.

Everything runs offline: the chromedriver found on PATH is passed explicitly, so Selenium Manager never tries to
download one. Selenium is imported lazily so that this module imports (and the tests skip) without it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ENABLE_HINT = "apt-get install -y chromium chromium-driver and pip install selenium to enable the browser checks"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)
LOCAL_SCHEMES = ("file", "data", "blob")  # anything else a page requests is external (no network for reports)
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions")
LOAD_TIMEOUT_S = 20.0

# Every image made to load now (lazy ones too), then: is the document and is every image done?
_EAGER_IMAGES_JS = "document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; });"
_LOADED_JS = "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete);"
_IMAGES_JS = """return Array.from(document.images).map(i => ({
    src: i.getAttribute('src') || '', url: i.currentSrc || i.src, natural_width: i.naturalWidth}));"""
_LINKS_JS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));"
_METRICS_JS = """return Array.from(document.querySelectorAll('[data-metric]')).map(
    e => [e.getAttribute('data-metric'), e.getAttribute('data-value')]);"""


@dataclass(frozen=True)
class Request:
    """One request the page made; ``error`` is Chromium's ``errorText`` (``net::ERR_...``) when it failed."""

    url: str
    kind: str = ""
    error: str | None = None

    @property
    def external(self) -> bool:
        return urlsplit(self.url).scheme.lower() not in LOCAL_SCHEMES


@dataclass(frozen=True)
class Image:
    """An ``<img>``: its ``src`` attribute as written, the URL it resolved to, and its natural width (0: not loaded)."""

    src: str
    url: str
    natural_width: int


@dataclass(frozen=True)
class Link:
    """A relative ``<a href>`` and the file or folder it points to on disk."""

    href: str
    target: Path
    exists: bool


@dataclass
class PageCheck:
    """What :func:`check_page` saw on one page."""

    path: Path
    console_errors: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    absolute_refs: list[str] = field(default_factory=list)  # hrefs/srcs tied to this machine (file://, /abs/path)
    metrics: dict[str, str | None] = field(default_factory=dict)  # data-metric -> data-value (first occurrence)
    metric_pairs: list[tuple[str, str | None]] = field(default_factory=list)  # every occurrence, in page order

    @property
    def failed_requests(self) -> list[Request]:
        return [r for r in self.requests if r.error is not None]

    @property
    def external_requests(self) -> list[Request]:
        return [r for r in self.requests if r.external]

    @property
    def broken_images(self) -> list[Image]:
        return [i for i in self.images if i.natural_width <= 0]

    @property
    def broken_links(self) -> list[Link]:
        return [link for link in self.links if not link.exists]

    def problems(self) -> list[str]:
        """Every reason this page is not fine offline, one line each (empty: the page is fine)."""
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"failed request: {r.url} ({r.kind or 'request'}: {r.error})" for r in self.failed_requests]
        out += [f"external request: {r.url} ({r.kind or 'request'})" for r in self.external_requests]
        out += [f"image not loaded (naturalWidth 0): src={i.src!r}" for i in self.broken_images]
        out += [f"broken relative link: href={link.href!r} -> {link.target} does not exist" for link in self.broken_links]
        out += [f"absolute reference (breaks when the folder moves): {ref!r}" for ref in self.absolute_refs]
        return out


def missing_tools() -> list[str]:
    """Names of what the browser checks need and this machine lacks: ``chromium``, ``chromedriver``, ``selenium``."""
    missing = []
    if browser_binary() is None:
        missing.append("chromium")
    if driver_binary() is None:
        missing.append("chromedriver")
    if importlib.util.find_spec("selenium") is None:
        missing.append("selenium")
    return missing


def skip_reason(missing: list[str]) -> str:
    return f"{'/'.join(missing)} not found: {ENABLE_HINT}"


def browser_binary() -> str | None:
    return next((p for p in map(shutil.which, BROWSER_NAMES) if p), None)


def driver_binary() -> str | None:
    return next((p for p in map(shutil.which, DRIVER_NAMES) if p), None)


def start_browser() -> Any:
    """A headless Chromium driven through the system chromedriver, logging console and network events."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.binary_location = browser_binary()
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_binary()), options=options)
    driver.set_page_load_timeout(LOAD_TIMEOUT_S)
    return driver


def check_page(driver: Any, path: str | Path) -> PageCheck:
    """Open the local page ``path`` in ``driver`` and collect what went wrong (see :class:`PageCheck`)."""
    from selenium.webdriver.support.ui import WebDriverWait

    page = Path(path).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"page to check not found: {page}")
    _drain_logs(driver)  # only this page's events from here on
    driver.get(page.as_uri())
    driver.execute_script(_EAGER_IMAGES_JS)
    WebDriverWait(driver, LOAD_TIMEOUT_S, poll_frequency=0.02).until(
        lambda d: d.execute_script(_LOADED_JS), message=f"{page} did not finish loading in {LOAD_TIMEOUT_S} s")
    check = PageCheck(path=page)
    check.console_errors = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    check.requests = _requests(driver.get_log("performance"))
    check.images = [Image(i["src"], i["url"], int(i["natural_width"])) for i in driver.execute_script(_IMAGES_JS)]
    check.absolute_refs = [i.src for i in check.images if _is_absolute_local(i.src)]
    for href in driver.execute_script(_LINKS_JS):
        if _is_absolute_local(href):
            check.absolute_refs.append(href)
        elif _is_relative(href):
            target = _resolve(page, href)
            check.links.append(Link(href, target, target.exists()))
    check.metric_pairs = [(k, v) for k, v in driver.execute_script(_METRICS_JS)]
    for key, value in check.metric_pairs:
        check.metrics.setdefault(key, value)
    return check


def overflow_px(driver: Any, path: str | Path, width: int = 390, height: int = 844) -> int:
    """How many CSS pixels the page ``path`` scrolls sideways in a ``width`` x ``height`` window (a phone: 390 x 844);
    0 when it fits. The window's size is restored afterwards."""
    page = Path(path).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"page to check not found: {page}")
    before = driver.get_window_size()
    driver.set_window_size(width, height)
    try:
        driver.get(page.as_uri())
        return int(driver.execute_script(
            "const e = document.documentElement; return Math.max(e.scrollWidth, document.body.scrollWidth) - e.clientWidth;"))
    finally:
        driver.set_window_size(before["width"], before["height"])


def assert_page_ok(check: PageCheck) -> None:
    """Fail, listing every problem of the page at once, unless it is fine offline (see :meth:`PageCheck.problems`)."""
    problems = check.problems()
    assert not problems, f"{check.path}: {len(problems)} problem(s)\n  " + "\n  ".join(problems)


def assert_metrics_match(check: PageCheck, metrics: dict[str, Any]) -> None:
    """Every ``data-metric`` figure on the page equals ``metrics`` (metrics.json's content) for that key.

    Keys may be dotted paths (``test.accuracy``, ``per_class.-1``). A data-value is read as JSON (``"nand"``,
    ``0.975``, ``true``), else as plain text. Numbers compare as numbers (``1`` equals ``1.0``) with a relative
    tolerance of 1e-9 (a float's repr round-trips exactly); strings, booleans and the rest exactly.
    """
    wrong = []
    for key, value in check.metric_pairs:
        expected = _lookup(metrics, key)
        if expected is _MISSING:
            wrong.append(f"data-metric {key!r} is not a key of metrics.json (keys: {sorted(metrics)})")
        elif not _same_value(value, expected):
            wrong.append(f"data-metric {key!r}: page says data-value={value!r}, metrics.json says {expected!r}")
    assert not wrong, f"{check.path}:\n  " + "\n  ".join(wrong)


_MISSING = object()


def _lookup(node: Any, key: str) -> Any:
    """The value at dotted path ``key`` (integers index lists, ``-1`` the last entry). Keys may hold dots
    themselves (``final_loss.momentum (alpha=0.9)``): every split is tried, longest key first."""
    if isinstance(node, dict) and key in node:
        return node[key]
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head, rest = ".".join(parts[:i]), ".".join(parts[i:])
        if isinstance(node, dict) and head in node:
            child = node[head]
        elif isinstance(node, list) and head.lstrip("-").isdigit() and -len(node) <= int(head) < len(node):
            child = node[int(head)]
        else:
            continue
        found = _lookup(child, rest)
        if found is not _MISSING:
            return found
    if isinstance(node, list) and key.lstrip("-").isdigit() and -len(node) <= int(key) < len(node):
        return node[int(key)]
    return _MISSING


def _same_value(text: str | None, expected: Any) -> bool:
    """``text`` (a data-value: JSON, else the plain value) stands for ``expected``."""
    if text is None:
        return expected is None
    try:
        parsed = json.loads(text)
    except ValueError:  # not JSON: the plain text must spell the value
        return text == str(expected) or (isinstance(expected, bool) and text.strip().lower() == str(expected).lower())
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if isinstance(parsed, bool) or not isinstance(parsed, (int, float)):
            return False
        if math.isnan(expected):
            return math.isnan(parsed)
        return math.isclose(parsed, expected, rel_tol=1e-9, abs_tol=0.0)
    return type(parsed) is type(expected) and parsed == expected


def _drain_logs(driver: Any) -> None:
    driver.get_log("browser")
    driver.get_log("performance")


def _requests(performance_log: list[dict[str, Any]]) -> list[Request]:
    """Network.requestWillBeSent / loadingFailed / responseReceived (HTTP >= 400) events -> one Request per id."""
    sent: dict[str, tuple[str, str]] = {}
    errors: dict[str, str] = {}
    for entry in performance_log:
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            sent[params["requestId"]] = (params["request"]["url"], params.get("type", ""))
        elif method == "Network.loadingFailed":
            errors[params["requestId"]] = params.get("errorText") or ("canceled" if params.get("canceled") else "failed")
        elif method == "Network.responseReceived" and int(params.get("response", {}).get("status") or 0) >= 400:
            errors[params["requestId"]] = f"HTTP {params['response']['status']}"
    return [Request(url, kind, errors.get(rid)) for rid, (url, kind) in sent.items()]


def _is_relative(href: str) -> bool:
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and bool(parts.path) and not href.startswith("/")


def _is_absolute_local(ref: str) -> bool:
    parts = urlsplit(ref)
    return parts.scheme.lower() == "file" or (not parts.scheme and not parts.netloc and ref.startswith("/"))


def _resolve(page: Path, href: str) -> Path:
    return (page.parent / unquote(urlsplit(href).path)).resolve()
