"""Command line: parse, call ``api``, render, and map errors to one line and exit code 1.

``common`` holds the app and what the commands share; each module registers its commands.
"""

# The help lists commands in this order: the report first.
from pipereview.cli import reports as _reports  # noqa: F401, I001  (registers the commands)
from pipereview.cli import explain as _explain  # noqa: F401  (registers the commands)
from pipereview.cli import forecast as _forecast  # noqa: F401  (registers the commands)
from pipereview.cli import velocity as _velocity  # noqa: F401  (registers the commands)
from pipereview.cli import history as _history  # noqa: F401  (registers the commands)
from pipereview.cli import accuracy as _accuracy  # noqa: F401  (registers the commands)
from pipereview.cli import rules as _rules  # noqa: F401  (registers the commands)
from pipereview.cli import serve as _serve  # noqa: F401  (registers the commands)
from pipereview.cli.app import app


def main() -> None:
    """Run the command line (``pipereview.__main__`` imports this and calls it)."""
    app()
