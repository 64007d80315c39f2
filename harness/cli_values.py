"""Text -> value for command-line flags: each parser raises argparse.ArgumentTypeError naming the value and the
fix (argparse prints it as one line). Config fields name theirs in their Flag metadata (harness/run/flags.py)."""

from __future__ import annotations

import argparse

from harness import budgets


def int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of integers (e.g. 64,128,256)"
        ) from None


def budget_list(text: str) -> list:
    try:
        values = [budgets.parse(x) for x in text.split(",") if x.strip()]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--budgets {text!r}: {e}") from None
    return values


def positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{v} must be a positive integer (--limit counts samples per task)")
    return v


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1, e.g. 0.05")
    return value


def boolean(text: str) -> bool:
    if text.strip().lower() not in ("true", "false", "1", "0"):
        raise ValueError(text)
    return text.strip().lower() in ("true", "1")


def key_values(text: str, flag: str = "--server-args") -> dict:
    """key=value,key=value with values read as int, float, true/false, else text."""
    out = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"{flag} {part!r}: use key=value,key=value")
        out[key.strip()] = value_of(value.strip())
    return out


def value_of(text: str):
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def server_args(text: str) -> dict:
    from harness.engines.openai_http import check_server_args

    try:
        return check_server_args(key_values(text, "--server-args"))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def ratios(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of ratios (e.g. 0,0.1,0.5,1)"
        ) from None


def markers(text: str) -> list[str]:
    from harness.thinking import parse_markers

    try:
        return list(parse_markers(text))
    except ValueError as e:  # argparse would print "invalid _markers value" instead of why
        raise argparse.ArgumentTypeError(str(e)) from None
