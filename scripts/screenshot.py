"""Take the README's picture: the top of the demo's HTML report, as docs/images/report.png.

Run it as `make screenshot`, which writes the demo first (`make demo`). Debian's Chromium
opens demo/report.html headless in a 1280 x 900 window and saves what it shows; the PNG is
then reduced to a 256-colour palette (the page is flat colours and grey text), which keeps it
small enough to commit. Take it again whenever the report's look changes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shoot(chromium: str, page: Path, out: Path, width: int, height: int) -> None:
    """Save the top ``width`` x ``height`` pixels of ``page`` to ``out`` as a palette PNG."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.png"
        command = [
            chromium,
            *FLAGS,
            f"--user-data-dir={tmp}/profile",
            f"--window-size={width},{height}",
            f"--screenshot={raw}",
            page.resolve().as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if not raw.exists():
            sys.exit(f"error: {chromium} wrote no screenshot:\n{done.stderr.strip()}")
        with Image.open(raw) as shot:
            flat = shot.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
        out.parent.mkdir(parents=True, exist_ok=True)
        flat.save(out, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, default=ROOT / "demo" / "report.html")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "report.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument(
        "--chromium", default=os.environ.get("PIPEREVIEW_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args()
    if not args.page.is_file():
        sys.exit(f"error: {args.page} not found; run `make demo` first")
    if not Path(args.chromium).exists():
        sys.exit(f"error: {args.chromium} not found; install Debian's chromium (make browser)")
    shoot(args.chromium, args.page, args.out, args.width, args.height)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
