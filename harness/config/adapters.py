"""Load a user's adapter factory named `package.module:factory`.

The factory lives in the user's repository, so the folder of their config file goes on the
import path first; a missing module, a missing attribute or a factory that raises is a
configuration error naming the key, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from harness.config.load import ConfigError
from harness.config.model import AdapterRef


def import_factory(key: str, ref: AdapterRef, root: Path) -> Callable[..., object]:
    """Import `ref.factory` (with `root` importable) without calling it."""
    module_name, _, attribute = ref.factory.partition(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an adapter module may fail in any way while it is imported
        raise ConfigError(f"config key {key}: cannot import {module_name!r} "
                          f"({type(exc).__name__}: {exc})",
                          f"is {module_name} importable from {root}, and does it import "
                          "without error?") from exc
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ConfigError(f"config key {key}: {module_name} has no callable {attribute!r}",
                          "name a function or class that builds the adapter")
    return factory  # type: ignore[no-any-return]


def call_factory(key: str, ref: AdapterRef, root: Path, *args: object) -> object:
    """Import `ref.factory` (with `root` importable) and call it with `args` and its options."""
    factory = import_factory(key, ref, root)
    try:
        return factory(*args, **dict(ref.options))
    except TypeError as exc:
        raise ConfigError(f"config key {key}: {ref.factory} refused its options: {exc}",
                          "check the adapter's options table") from exc
