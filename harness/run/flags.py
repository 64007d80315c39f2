"""One schema, three faces: RunConfig's fields (harness/run/config.py) are the only definition of a run's options.

- flags: `harness run`'s config flags are generated here from each field's type, description and `Flag` metadata;
- files: `harness run --config FILE` and the grid's runs (harness/grid/) hold the same fields as YAML, flat
  (`temperature: 0.6`) or in groups (`sampling: {temperature: 0.6}`), as the manifest's `config` records them;
- values from a file and from flags merge (flags win) and become one RunConfig in `build_config`, whose
  validators are the only checks; a refusal names the option as a flag and as a field.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ValidationError

from harness.errors import BadArgumentError, HarnessError


@dataclass(frozen=True)
class Flag:
    """How a config field shows on `harness run`'s command line; its help is the field's description."""

    name: str | None = None  # default: "--" + the field's flat name with dashes
    parse: Callable[[str], Any] | None = None  # text -> value; default: from the field's type
    section: str | None = None  # a key of SECTIONS; default: the field's group
    via: str | None = None  # set as KEY=VALUE inside this composite flag instead (a key of COMPOSITES)
    choices: tuple[str, ...] | None = None
    append: bool = False  # repeatable: each use adds one value


SECTIONS = {  # help sections of `harness run --help`, in order
    "run": None,
    "prompt": "the model's prompt and thinking format (docs/models.md)",
    "http": "HTTP engines (--model openai:MODEL, openai-chat:MODEL)",
    "vllm": "vLLM (--model vllm:HF_ID_OR_PATH; pip install -e .[vllm])",
    "code": "code tasks (livecodebench) and samples per problem",
    "offload": "offload strategies (splitreason, random-offload); --budgets is then the total generated tokens",
}
GROUP_SECTIONS = {"prompt": "prompt", "code": "code", "offload": "offload"}  # other groups: "run"
COMPOSITES = {  # flag -> (help, the fields' group path)
    "--gen-kwargs": (
        "sampling: {keys} (default greedy; e.g. R1's temperature=0.6,top_p=0.95, Qwen3's ...,top_k=20,min_p=0)",
        ("sampling",),
    ),
    "--offload-gen-kwargs": (
        "the large model's sampling: {keys} (default: the run's --gen-kwargs)",
        ("strategy", "offload"),
    ),
}


@dataclass(frozen=True)
class Option:
    """One config field: where it lives in RunConfig and how it is given as a flag."""

    path: tuple[str, ...]  # e.g. ("engine", "model"), ("strategy", "offload", "probe_every"), ("log_samples",)
    field: Any  # pydantic FieldInfo
    flag: Flag

    @property
    def dest(self) -> str:
        return ".".join(self.path)

    @property
    def flag_name(self) -> str:
        if self.flag.name:
            return self.flag.name
        from harness.run.config import FLAT

        flat = (
            {v: k for k, v in FLAT.items()}.get(self.path[-2:], self.path[-1]) if len(self.path) > 1 else self.path[0]
        )
        return "--" + ("no-" if self.field.default is True else "") + flat.replace("_", "-")

    @property
    def kind(self) -> Any:
        """The field's type without None."""
        return _strip_none(self.field.annotation)

    def key(self) -> str:
        """The field as a config file writes it: group.name (offload fields: strategy.offload.name)."""
        return self.dest


def _strip_none(t):
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        return args[0] if len(args) == 1 else t
    return t


def _submodel(t) -> type[BaseModel] | None:
    t = _strip_none(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def options(model: type[BaseModel] | None = None, prefix: tuple[str, ...] = ()) -> list[Option]:
    """Every field of RunConfig (nested groups walked), in definition order."""
    if model is None:
        from harness.run.config import RunConfig

        model = RunConfig
    out = []
    for name, f in model.model_fields.items():
        sub = _submodel(f.annotation)
        if sub is not None:
            out += options(sub, prefix + (name,))
        else:
            flag = next((m for m in f.metadata if isinstance(m, Flag)), Flag())
            out.append(Option(prefix + (name,), f, flag))
    return out


# --- flags ---------------------------------------------------------------------------------------------------


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per config field (composite KEY=VALUE flags for the fields that declare one). Flags not given are
    absent from the parsed namespace (default SUPPRESS), so that they do not override a --config file."""
    groups = {key: parser if title is None else parser.add_argument_group(title) for key, title in SECTIONS.items()}
    for opt in options():
        if opt.flag.via:
            continue
        section = opt.flag.section or GROUP_SECTIONS.get(opt.path[-2] if len(opt.path) > 1 else "", "run")
        groups[section].add_argument(
            opt.flag_name, dest=opt.dest, default=argparse.SUPPRESS, help=_help(opt), **_argparse_kind(opt)
        )
    for flag, (text, path) in COMPOSITES.items():
        keys = ", ".join(k for k, _ in _composite_fields(flag))
        section = "offload" if path[-1] == "offload" else "run"
        groups[section].add_argument(
            flag,
            dest=flag.lstrip("-").replace("-", "_"),
            type=composite_parser(flag),
            default=argparse.SUPPRESS,
            help=text.format(keys=keys),
        )


def _help(opt: Option) -> str:
    text = opt.field.description or ""
    default = opt.field.default
    if default not in (None, [], {}, False, True) and "default" not in text and not opt.field.is_required():
        text += f" (default {default})"
    return text.replace("%", "%%")


def _argparse_kind(opt: Option) -> dict:
    kind = opt.kind
    if kind is bool:
        return {"action": "store_false" if opt.field.default is True else "store_true"}
    extra: dict = {"action": "append"} if opt.flag.append else {}
    extra["metavar"] = opt.path[-1].upper()
    if opt.flag.parse:
        return {**extra, "type": opt.flag.parse}
    if opt.flag.choices or typing.get_origin(kind) is Literal:
        return {**extra, "metavar": None, "choices": opt.flag.choices or typing.get_args(kind)}
    if kind in (int, float, str):
        return {**extra, "type": kind}
    from harness import cli_values

    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is list and args[0] in (str, int, float):
        return {**extra, "type": {str: cli_values.names, int: cli_values.int_list, float: cli_values.ratios}[args[0]]}
    if origin is dict:
        return {**extra, "type": lambda text: cli_values.key_values(text, opt.flag_name)}
    raise TypeError(f"config field {opt.dest} ({kind}) needs Flag(parse=...): no parser for its type")


def _composite_fields(flag: str) -> list[tuple[str, Callable[[str], Any]]]:
    from harness.cli_values import boolean as _bool

    return [(o.path[-1], _bool if o.kind is bool else o.kind) for o in options() if o.flag.via == flag]


def composite_parser(flag: str) -> Callable[[str], dict]:
    """The parser of a KEY=VALUE flag such as --gen-kwargs: keys are its fields' names, values parse by type (the
    ranges are the config's to check)."""

    def parse(text: str) -> dict:
        known = dict(_composite_fields(flag))
        out = {}
        for part in filter(None, text.split(",")):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in known or not value:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                raise argparse.ArgumentTypeError(
                    f"{flag} {part!r}: "
                    + (f"did you mean {close[0]}? " if close else "")
                    + f"use key=value with keys {', '.join(known)}"
                )
            try:
                out[key] = known[key](value)
            except ValueError:
                what = {int: "n integer", float: " number"}.get(known[key], " boolean (true/false)")
                raise argparse.ArgumentTypeError(f"{flag} {part!r}: {value!r} is not a{what}") from None
        return out

    return parse


def values_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The config values the flags gave, in groups."""
    given = vars(args)
    out: dict[str, Any] = {}
    for opt in options():
        if opt.dest in given:
            _set(out, opt.path, given[opt.dest])
    for flag, (_, path) in COMPOSITES.items():
        for key, value in given.get(flag.lstrip("-").replace("-", "_"), {}).items():
            _set(out, path + (key,), value)
    return out


def _set(out: dict, path: tuple[str, ...], value) -> None:
    for p in path[:-1]:
        out = out.setdefault(p, {})
    out[path[-1]] = value


# --- files -----------------------------------------------------------------------------------------------------


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A YAML (or JSON) file of config fields, in groups; a run's manifest.json gives its recorded config."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise BadArgumentError(f"--config {path}: cannot read it ({type(e).__name__}: {str(e).splitlines()[0]})")
    if isinstance(data, dict) and isinstance(data.get("config"), dict) and "version" in data:
        from harness.manifest import read_manifest

        return grouped(read_manifest(path).config)
    if not isinstance(data, dict):
        raise BadArgumentError(f"--config {path}: expected a mapping of config fields (e.g. tasks: [gsm8k])")
    return grouped(data)


def grouped(values: dict[str, Any]) -> dict[str, Any]:
    """Flat names (`temperature`), dotted paths (`sampling.temperature`) and groups as nested groups."""
    from harness.run.config import nest

    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(key, str) and "." in key:
            nested: dict[str, Any] = {}
            _set(nested, tuple(key.split(".")), value)
            out = merged(out, nested)
        else:
            out = merged(out, nest({key: value}))
    return out


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, group by group (lists and other values are replaced whole)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


# --- one RunConfig ---------------------------------------------------------------------------------------------

N_TEMPERATURE = 0.6  # --n > 1 without a temperature: n greedy samples would be n copies of one answer


def build_config(values: dict[str, Any], where: str = ""):
    """The RunConfig of grouped values; a refusal is one BadArgumentError naming each bad option (prefixed by
    `where`, e.g. "run 'a': ")."""
    from harness.run.config import RunConfig

    sampling = values.get("sampling", {})
    if isinstance(sampling, dict) and (sampling.get("n") or 1) > 1 and "temperature" not in sampling:
        values = merged(values, {"sampling": {"temperature": N_TEMPERATURE}})
        print(
            f"{where}--n {sampling['n']}: sampling at temperature {N_TEMPERATURE} (set temperature to choose)",
            file=sys.stderr,
        )
    try:
        return RunConfig.model_validate(values)
    except ValidationError as e:
        raise BadArgumentError(where + "; ".join(message(err) for err in e.errors())) from None
    except HarnessError as e:  # a validator's own refusal (an unknown strategy name)
        if not where:
            raise
        raise BadArgumentError(where + str(e)) from None


def message(err) -> str:
    """One validation error as a line naming the option (as a field, and as a flag where it is missing)."""
    from harness.run.config import FLAT, GROUPS

    where = ".".join(str(x) for x in err["loc"])
    if err["type"] == "extra_forbidden":
        known = list(FLAT) + list(GROUPS) + [o.dest for o in options()]
        close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1, cutoff=0.6)
        return f"{where} is not an option of this run" + (f" (did you mean {close[0]}?)" if close else "")
    if err["type"] == "missing":  # a required field, or a group holding required fields
        loc = tuple(err["loc"])
        missing = [o for o in options() if o.path[: len(loc)] == loc and o.field.is_required()]
        if missing:
            return "; ".join(f"{o.flag_name} is required ({o.dest}: in a config file)" for o in missing)
    msg = err["msg"].removeprefix("Value error, ")
    return msg if msg.startswith("--") or err["type"] == "value_error" else f"{where}: {msg}"
