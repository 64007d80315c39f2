"""Errors a user can fix. Each message names the bad value and the fix, on one line."""

from __future__ import annotations

import difflib


class HarnessError(Exception):
    """Base class: the CLI prints the message alone and exits with status 2."""


class UnknownNameError(HarnessError, KeyError):
    def __init__(self, kind: str, name: str, known: list[str]):
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        super().__init__(f"unknown {kind} {name!r}: {hint}known {kind}s: {', '.join(sorted(known))}")
        self.name = name

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class DataNotFoundError(HarnessError):
    pass


class ModelNotFoundError(HarnessError):
    pass


class OutputExistsError(HarnessError):
    pass


class BadArgumentError(HarnessError, ValueError):
    pass


class RecordsError(HarnessError):
    pass
