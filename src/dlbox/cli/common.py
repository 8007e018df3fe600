"""Shared CLI plumbing: clear error exits and ``key=value`` option parsing."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])

# Errors a user can cause and fix; anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, KeyError, FileNotFoundError, RuntimeError, OSError)


def user_errors(fn: F) -> F:
    """Turn user-caused exceptions into a one-line ``error: ...`` and exit status 2 (``DLBOX_DEBUG=1``: traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except USER_ERRORS as exc:
            if os.environ.get("DLBOX_DEBUG"):  # the full traceback, for bug reports
                raise
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """``["depth=3", "channels=[16,32]"]`` -> ``{"depth": 3, "channels": [16, 32]}`` (values read as YAML)."""
    from dlbox.config import read_value

    out: dict[str, Any] = {}
    for text in pairs or []:
        if "=" not in text:
            raise typer.BadParameter(f"{text!r} must look like key=value", param_hint=option)
        key, raw = text.split("=", 1)
        out[key.strip()] = read_value(raw)
    return out


def given(**values: Any) -> dict[str, Any]:
    """The options the user gave: ``None`` (not given) dropped, at any depth of nested dicts.

    ``given(out=None, dream={"octaves": 3, "channel": None})`` -> ``{"dream": {"octaves": 3}}``, ready for
    :func:`dlbox.config.resolve`, so an option left out never overrides the config file.
    """
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            value = given(**value) or None  # a section left empty is left out too
        if value is not None:
            out[key] = value
    return out


def echo_run_dir(path: Any) -> None:
    typer.echo(f"run directory: {path}")
    sys.stdout.flush()

