"""`python -m wushe.matching.engine INSTANCE.json -o RESULT.json`: the same as
`wushe matching solve` without Django (no reasons in Chinese, components only)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
