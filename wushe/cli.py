"""`wushe …` and `python -m wushe …`: Django's manage.py under the platform's name."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wushe.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "wushe"
    execute_from_command_line(args)
