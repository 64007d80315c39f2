"""The site's HTML pages (Jinja templates beside this module, autoescaped) and its static assets."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import pandas as pd

from harness.manifest import Manifest
from harness.report.site.overview import OverviewRow
from harness.report.tables import shown_columns

HERE = Path(__file__).parent
ASSETS = ("site.css", "site.js", "viewer.js")
PLOTLY_JS = "plotly.min.js"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["num"] = _num
    env.filters["pct"] = lambda v: "–" if _nan(v) else f"{100 * v:.1f}%"
    env.filters["script_json"] = lambda v: jinja2.utils.markupsafe.Markup(_script_json(v))
    return env


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v, fmt: str = "{}") -> str:
    return "–" if _nan(v) else fmt.format(v)


def _script_json(v) -> str:
    """JSON safe inside a <script> element (no `</script>`, no `<!--`)."""
    text = v if isinstance(v, str) else json.dumps(v)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def copy_assets(out: Path) -> None:
    """The CSS and JS beside the pages, with plotly.js from the installed plotly package (the pages work offline)."""
    from plotly.offline import get_plotlyjs

    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        shutil.copyfile(HERE / "assets" / name, assets / name)
    js = get_plotlyjs()
    target = assets / PLOTLY_JS
    if not target.is_file() or target.stat().st_size != len(js.encode()):
        target.write_text(js, encoding="utf-8")


def _write(path: Path, template: str, **context) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_env().get_template(template).render(**context), encoding="utf-8")
    return path


def overview_page(out: Path, rows: list[OverviewRow], chart: str, reference: str) -> Path:
    tasks = sorted({t for r in rows for t in r.cells})
    return _write(out / "index.html", "overview.html", root="", rows=rows, tasks=tasks, chart=chart, ref=reference)


@dataclass
class RunPage:
    """What a run's pages show."""

    run_id: str
    name: str
    model: str
    manifest: Manifest | None
    summary: pd.DataFrame
    folders: dict[str, str]  # task -> its data folder


def run_page(out: Path, page: RunPage, charts: list[str]) -> Path:
    cols = shown_columns(page.summary)
    table = [
        {"task": r["task"], "budget": str(r["budget"]), "cells": [_num(r[k], fmt) for k, _, fmt in cols]}
        for _, r in page.summary.iterrows()
    ]
    folder = out / "runs" / page.run_id
    _write(
        folder / "samples.html",
        "samples.html",
        root="../../",
        page=page,
        data={"name": page.name, "tasks": page.folders},
    )
    return _write(
        folder / "index.html",
        "run.html",
        root="../../",
        page=page,
        facts=facts(page.manifest),
        heads=[c[1] for c in cols],
        table=table,
        charts=charts,
    )


def _flat(d: dict | None) -> str:
    if not d:
        return "–"
    return "; ".join(f"{k}: {v}" for k, v in d.items() if v not in (None, "", [], {}))


def facts(m: Manifest | None) -> list[tuple[str, str]]:
    """The manifest's key facts, in the order a reader checks them."""
    if m is None:
        return [("manifest", "none: this folder has records but no manifest.json (records made elsewhere)")]
    c = m.config
    pairs = [
        ("model", _flat({"name": m.model.get("name"), "file": m.model.get("path"), "sha256": m.model.get("sha256")})),
        ("engine", _flat(c.get("engine"))),
        ("thinking format", _flat(m.thinking_format)),
        ("prompt and template", _flat({**(m.prompt or {}), "instruction": c.get("prompt", {}).get("instruction")})),
        ("strategy", _flat({k: v for k, v in c.get("strategy", {}).items() if k != "offload"})),
        ("sampling", _flat(c.get("sampling"))),
        ("tasks", _flat(c.get("selection"))),
        ("data", "; ".join(f"{t}: {_flat(d)}" for t, d in m.data.items()) or "–"),
        ("samples logged", "yes (questions and calls)" if c.get("log_samples") else "no (run without --log-samples)"),
        ("imported", _flat(m.imported) if m.imported else "no"),
        ("versions", _flat({k: v for k, v in m.packages.items() if v})),
        ("environment", _flat(m.environment)),
        ("git", _flat(m.git)),
        ("time", f"{m.started or '?'} to {m.finished or '?'}"),
        ("command", " ".join(m.command) or "–"),
    ]
    return pairs
