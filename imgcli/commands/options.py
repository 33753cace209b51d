"""The argument types and options more than one command takes, each written once: whole
numbers, KEY=VALUE pairs, a project and its domain (openstackclient's `--project-domain`),
and `unique()` for repeated values. Each type refuses bad input while the arguments are
parsed, so a mistake is one line and exit 2 before any request.

Options that only image commands share (formats, sizes, visibility, image properties) are
in imgcli.commands.image.options, which builds on these.

Imports: the standard library only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

# identity_common.add_project_domain_option_to_parser's words (openstackclient).
PROJECT_DOMAIN_HELP = ("Domain the project belongs to (name or ID). This can be used in case "
                       "collisions between project names exist.")


class WholeNumber:
    """An argparse type for a whole number of at least `minimum`, with the two lines that
    refuse text and a number too small (`{text}` is replaced by the argument as given).
    Glance refuses a negative count or size with a 400: refused here, nothing is sent."""

    def __init__(self, minimum: int, not_a_number: str, too_small: str) -> None:
        self.minimum, self.not_a_number, self.too_small = minimum, not_a_number, too_small
        self.__name__ = "whole number"  # argparse names the type in some of its messages

    def __call__(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                self.not_a_number.format(text=repr(text))) from None
        if value < self.minimum:
            raise argparse.ArgumentTypeError(self.too_small.format(text=repr(text)))
        return value


# A count, a size in GB or MB, a limit: 0 and up.
non_negative = WholeNumber(0, "{text} is not a whole number", "{text} is negative")
# --size of image data: openstackclient's _parse_image_size, with its words.
positive_size = WholeNumber(1, "{text} is not a valid size (use a positive integer)",
                            "Size must be a positive integer")


def key_value(text: str) -> tuple[str, str]:
    """`KEY=VALUE` (osc-lib's KeyValueAction reads it so too: the first `=` splits, the
    value may be empty, the key may not)."""
    key, equals, value = text.partition("=")
    if not equals:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if not key:
        raise argparse.ArgumentTypeError(f"the property name is empty in {text!r}")
    return key, value


def add_project_domain(parser: argparse.ArgumentParser, help: str = PROJECT_DOMAIN_HELP) -> None:
    """`--project-domain`, which every command that takes a project name has."""
    parser.add_argument("--project-domain", metavar="<project-domain>", help=help)


def add_project_options(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--project PROJECT` and its `--project-domain`."""
    parser.add_argument("--project", metavar="<project>", help=help_text)
    add_project_domain(parser)


def unique(values: Sequence[str]) -> list[str]:
    """In order, each once."""
    return list(dict.fromkeys(values))
