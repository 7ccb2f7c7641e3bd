"""Every public name of ``pipereview.api`` is what it says, whatever was imported first: a
submodule of ``pipereview.api`` named like a public function (``api/accuracy.py`` beside
``api.accuracy()``) replaced the function by the module once anything imported the
submodule, so ``api.accuracy(...)`` failed in some test orders only."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pipereview.api as api


def test_no_submodule_shadows_a_public_name() -> None:
    submodules = {m.name for m in pkgutil.iter_modules(api.__path__)}
    assert submodules.isdisjoint(api.__all__)
    for name in submodules:  # import them all, as a long-running process ends up doing
        importlib.import_module(f"pipereview.api.{name}")
    shadowed = [n for n in api.__all__ if isinstance(getattr(api, n), types.ModuleType)]
    assert shadowed == []
    assert callable(api.accuracy) and api.accuracy.__name__ == "accuracy"
