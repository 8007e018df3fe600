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
            for note in getattr(exc, "__notes__", ()):  # e.g. where the failed run's report is
                typer.secho(f"  {note}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


# An option shared by several commands: (type, option declarations, help, config path whose default --help shows).
OptionSpec = tuple[Any, tuple[str, ...], str, "str | None"]


def with_options(table: dict[str, OptionSpec], defaults: Any = None, hide: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Decorate ``fn(common, **own)``: typer sees ``fn``'s own options plus ``table``'s (minus ``hide``), each
    defaulting to None so a config file is not overridden, with the config's default shown in ``--help``.
    ``fn`` receives the shared ones as the dict ``common``."""
    import inspect

    def decorate(fn: F) -> F:
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in inspect.signature(fn).parameters.values() if p.name != "common"]
        shared = []
        for name, (kind, decls, help_text, path) in table.items():
            if name in hide:
                continue
            default = _default_of(defaults, path) if path and defaults is not None else None
            shown = f"{help_text} (default: {default})" if default not in (None, [], {}) else help_text
            shared.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=typer.Option(None, *decls, help=shown), annotation=kind))

        @functools.wraps(fn)
        def wrapper(**kwargs: Any) -> Any:
            common = {name: kwargs.pop(name, None) for name in table}
            return fn(common=common, **kwargs)

        wrapper.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _default_of(cfg: Any, path: str) -> Any:
    for key in path.split("."):
        cfg = getattr(cfg, key)
    return cfg


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


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A right-aligned rich table (per-class reports and the like)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def run_option(task: str) -> Any:
    """``--run``: the finished run a command uses."""
    return typer.Option(..., help=f"a finished {task} run directory")


def out_option(kind: str) -> Any:
    """``--out``: where a command that reads a run writes its own run directory."""
    return typer.Option(None, help=f"output directory (default: a new one under runs/{kind}/)")


SPLIT = typer.Option("test", help="train | val | test")


def echo_run_dir(path: Any) -> None:
    typer.echo(f"run directory: {path}")
    sys.stdout.flush()

