"""python -m pipereview: the command line."""

from pipereview.cli import main

main()
