"""The entry point (``pipereview.__main__``): the command line's modules are imported with the
garbage collector paused, and every command runs with it on and the imports frozen."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import gc
import pipereview.cli
import pipereview.__main__ as entry

gc.collect()
gc.unfreeze()
pipereview.cli.main = lambda: print(gc.isenabled(), gc.get_freeze_count() > 0)
entry.main()
print(gc.isenabled())
"""


# records whether the collector runs while the command line's package is imported
_IMPORTING = """
import gc, sys

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "pipereview.cli":
            print("importing", gc.isenabled())
        return None

sys.meta_path.insert(0, Watch())
sys.argv = ["pipereview", "--version"]
import pipereview.__main__ as entry

try:
    entry.main()
except SystemExit as stop:
    print("exit", stop.code, gc.isenabled())
"""


def _run(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.split()


def test_a_command_runs_with_the_collector_on_and_the_imports_frozen() -> None:
    assert _run(_PROBE) == ["True", "True", "True"]


def test_the_command_line_is_imported_with_the_collector_paused() -> None:
    from importlib.metadata import version

    expected = ["importing", "False", "pipereview", version("pipereview"), "exit", "0", "True"]
    assert _run(_IMPORTING) == expected


def test_the_installed_command_starts_there() -> None:
    """``python -m pipereview`` runs ``__main__`` (the probes above); the console script
    must call the same entry."""
    from importlib.metadata import entry_points

    (script,) = (e for e in entry_points(group="console_scripts") if e.name == "pipereview")
    assert script.value == "pipereview.__main__:main"
