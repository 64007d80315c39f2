"""The site's interactive charts, built with Plotly's Python package and returned as figure JSON; the pages draw
them with the plotly.js that the package ships (copied beside the pages: no CDN). Each point's customdata starts
with the link a click opens (that budget's samples in the trace viewer)."""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from harness import budgets
from harness.report.plots import OKABE_ITO, pareto_front

SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "star", "x"]  # plots.MARKERS
HOVER = (
    "<b>%{customdata[1]}</b><br>task %{customdata[2]}, budget %{customdata[3]}, n=%{customdata[4]}<br>"
    "accuracy %{y:.1f}% (95% CI %{customdata[5]:.1f}–%{customdata[6]:.1f})<br>%{x:.0f} tokens per sample"
    "<extra>click: open these samples</extra>"
)


def viewer_link(prefix: str, task: str, budget) -> str:
    return f"{prefix}samples.html#task={quote(task)}&budget={quote(str(budget))}"


def _ordered(g: pd.DataFrame) -> pd.DataFrame:
    return g.iloc[sorted(range(len(g)), key=lambda i: budgets.order(g["budget"].iloc[i]))]


def _points(g: pd.DataFrame, prefix: str, name: str) -> dict:
    """x, y, error bars and customdata of one series (a run's task over its budgets)."""
    g = _ordered(g)
    acc, lo, hi = (100 * g[c].astype(float) for c in ("accuracy", "acc_ci_low", "acc_ci_high"))
    return {
        "y": list(acc),
        "error_y": {"type": "data", "symmetric": False, "array": list(hi - acc), "arrayminus": list(acc - lo)},
        "customdata": [
            [viewer_link(prefix, t, b), name, t, str(b), int(n), l_, h_]
            for t, b, n, l_, h_ in zip(g["task"], g["budget"], g["n"], lo, hi)
        ],
        "x_tokens": list(g["mean_total_tokens"].astype(float)),
        "budgets": list(g["budget"]),
    }


def _style(i: int) -> dict:
    return {"color": OKABE_ITO[i % len(OKABE_ITO)], "symbol": SYMBOLS[i % len(SYMBOLS)]}


def overview_chart(series: list[tuple[str, str, pd.DataFrame]]) -> str:
    """Accuracy against mean generated tokens, one series per run (name, link prefix, its summary rows), one task
    at a time (a menu switches), with each task's Pareto frontier."""
    tasks = sorted({t for _, _, s in series for t in s["task"]})
    fig, shown = go.Figure(), []
    for task in tasks:
        rows = []
        for i, (name, prefix, s) in enumerate(series):
            g = s[s["task"] == task]
            if g.empty:
                continue
            rows.append(g)
            p, st = _points(g, prefix, name), _style(i)
            fig.add_scatter(
                x=p["x_tokens"],
                y=p["y"],
                error_y=p["error_y"],
                customdata=p["customdata"],
                mode="lines+markers",
                name=name,
                legendgroup=name,
                hovertemplate=HOVER,
                marker={"color": st["color"], "symbol": st["symbol"], "size": 9},
                line={"color": st["color"]},
                visible=task == tasks[0],
            )
            shown.append(task)
        front = pareto_front(pd.concat(rows).dropna(subset=["accuracy"]), "mean_total_tokens", "accuracy")
        fig.add_scatter(
            x=list(front["mean_total_tokens"]),
            y=list(100 * front["accuracy"]),
            mode="lines",
            name="Pareto frontier",
            line={"color": "rgba(0,0,0,0.25)", "width": 6},
            hoverinfo="skip",
            visible=task == tasks[0],
        )
        shown.append(task)
    menu = [
        {"label": t, "method": "update", "args": [{"visible": [s == t for s in shown]}, {"title.text": _title(t)}]}
        for t in tasks
    ]
    fig.update_layout(
        title={"text": _title(tasks[0]) if tasks else ""},
        updatemenus=[{"buttons": menu, "x": 1.0, "y": 1.15, "xanchor": "right"}] if len(tasks) > 1 else [],
        xaxis_title="mean generated tokens per sample (thinking + solution)",
        yaxis_title="accuracy (%), 95% Wilson interval",
        **_LAYOUT,
    )
    return pio.to_json(fig, validate=False)


def _title(task: str) -> str:
    return f"{task}: accuracy vs tokens"


_LAYOUT = {"height": 460, "margin": {"l": 60, "r": 20, "t": 60, "b": 50}, "hovermode": "closest", "template": "none"}


def budget_chart(summary: pd.DataFrame, name: str, y: str) -> str:
    """A run's curves over its budgets, one line per task (and strategy): accuracy (y="accuracy") with its 95%
    interval, or mean generated tokens (y="tokens") split into thinking and total."""
    fig = go.Figure()
    numeric = budgets.is_numeric(summary["budget"])
    groups = list(summary.groupby(["task", "strategy"], sort=True))
    for i, ((task, strategy), g) in enumerate(groups):
        label = task if summary["strategy"].nunique() == 1 else f"{task} ({strategy})"
        p, st = _points(g, "", f"{name}: {label}"), _style(i)
        x = p["budgets"] if numeric else [str(b) for b in p["budgets"]]
        common = {"x": x, "customdata": p["customdata"], "marker": {"color": st["color"], "symbol": st["symbol"]}}
        if y == "accuracy":
            fig.add_scatter(y=p["y"], error_y=p["error_y"], name=label, mode="lines+markers", **common)
            fig.data[-1].hovertemplate = HOVER.replace("%{x:.0f} tokens per sample", "budget %{x}")
            continue
        g = _ordered(g)
        for col, dash in (("mean_total_tokens", "solid"), ("mean_thinking_tokens", "dot")):
            fig.add_scatter(
                y=list(g[col].astype(float)),
                name=f"{label}: {col.split('_')[1]}",
                mode="lines+markers",
                line={"dash": dash, "color": st["color"]},
                hovertemplate="%{y:.0f} tokens at budget %{x}<extra>click: open these samples</extra>",
                **common,
            )
    ticks = sorted(set(summary["budget"])) if numeric else []
    # a log axis where every budget is a positive count; imported runs record budget 0 (not known): linear
    axis = {"type": "log" if ticks[0] > 0 else "linear", "tickvals": ticks} if numeric else {"type": "category"}
    fig.update_layout(
        xaxis={**axis, "title": {"text": "thinking budget (tokens)" if numeric else "reasoning effort"}},
        yaxis_title="accuracy (%), 95% Wilson interval" if y == "accuracy" else "mean generated tokens per sample",
        title={
            "text": "accuracy by budget" if y == "accuracy" else "tokens by budget (solid: total; dotted: thinking)"
        },
        **_LAYOUT,
    )
    return pio.to_json(fig, validate=False)
