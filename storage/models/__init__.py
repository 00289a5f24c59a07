"""The database tables (SQLModel) and their enums and column types: `core` (accounts,
negotiations, evidence, texts, jobs, custody), `conduct`, `promises`, `hardship`, `signin` (browser
sessions, known devices, failed sign-ins), `keys` (the vault and sealed secrets when they live in
the database), `sharing` (negotiations shared with a helper), `mail` (the email server for
reminders set on the settings page), and `types`.

`from storage.models import Evidence` is the one way the rest of the project names a table. The
table modules are imported when a name is first asked for, in `MODULES` order up to the one that
defines it (`core` always first: every other table points into it), so a command that reads
jobs does not define the promise and hardship tables (some 60 ms of start-up). What needs every
table (`SQLModel.metadata` whole: migrations, backups, schema checks) calls `load_all()` first.
"""

from __future__ import annotations

import gc
import importlib
from types import ModuleType

MODULES = ("core", "sharing", "signin", "keys", "mail", "hardship", "conduct", "promises")


def _load(name: str) -> ModuleType:
    # Defining tables (with SQLAlchemy, SQLModel and pydantic when they come first) makes tens of
    # thousands of objects that live as long as the process. The cyclic collector would walk
    # them again and again while they are made and once more at exit, a sixth of a database
    # command's CPU: it is off meanwhile, and they are frozen (never walked again, still freed
    # once unreferenced).
    collecting = gc.isenabled()
    gc.disable()
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    finally:
        if collecting:
            gc.freeze()
            gc.enable()
    for exported in module.__all__:
        globals()[exported] = getattr(module, exported)
    return module


def load_all() -> None:
    """Define every table, so `SQLModel.metadata` holds them all."""
    for name in MODULES:
        _load(name)


def __getattr__(name: str) -> object:
    if name in MODULES:  # `from storage.models import core`
        return _load(name)
    for module_name in MODULES:
        if name in _load(module_name).__all__:
            return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    load_all()
    return sorted(globals())
