"""``python -m pipereview`` and the ``pipereview`` command: the command line, started with
Python's garbage collector paused while the command line's modules are imported.

Importing makes many objects that the collector tracks and no garbage, yet the collector (a
first pass every 700 new objects) walks them over and over (docs/decisions.md, D64). So the
entry imports the command line with the collector off, then freezes what the imports made
(``gc.freeze``: kept for the life of the process, never walked again) and turns the
collector back on before any command runs: a command's own work is collected as always.
"""

import gc


def main() -> None:
    """Console-script entry point."""
    gc.disable()
    try:
        from pipereview.cli import main as command_line
    finally:
        gc.freeze()
        gc.enable()
    command_line()


if __name__ == "__main__":
    main()
