#!/usr/bin/env python3
"""Print what sanitising an answer of N nested <div> costs, with and without the nesting cap (issue 12,
finding 8). nh3 alone grows with the square of the depth; with `flatten` first it grows with the size.
Pages no longer sanitise at all (they show the stored `answers_html`): this is the cost of a save or an
import of such an answer.

    .venv/bin/python bench/sanitise.py
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nh3  # noqa: E402

from plans.sanitise import ALLOWED_TAGS, sanitise  # noqa: E402


def seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    print(f"{'depth':>7} {'nh3 alone (s)':>14} {'sanitise (s)':>13}")
    for depth in (1_000, 5_000, 10_000, 50_000):
        html = "<div>" * depth + "words" + "</div>" * depth
        alone = seconds(lambda html=html: nh3.clean(html, tags=ALLOWED_TAGS)) if depth <= 10_000 else None
        capped = seconds(lambda html=html: sanitise(html))
        print(f"{depth:>7} {'(skipped)' if alone is None else f'{alone:.3f}':>14} {capped:>13.3f}")


if __name__ == "__main__":
    main()
