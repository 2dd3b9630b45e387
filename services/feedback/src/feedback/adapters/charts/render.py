"""Charts drawn with matplotlib's Agg backend (no display, no pyplot global state, so safe in
a server's threads), as SVG or PNG bytes.

What is drawn is what the series say: a point without a value is not drawn (a line breaks
there); a suppressed point is labelled "suppressed" at its place instead; intervals are a
band (lines) or error bars (bars). Every drawn element carries an id (`point-<series>-<label>`,
`interval-<series>`, `suppressed-<series>-<label>`) so the SVG can be inspected.
"""

from __future__ import annotations

import io
import math
import re

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from feedback.adapters.charts.series import Axis, Chart, ChartKind, Point, Series

_SIZE = (9.0, 4.8)  # inches
_DPI = 100
_MAX_TICKS = 16


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _value(point: Point) -> float:
    return math.nan if point.value is None else point.value


def _mark_suppressed(axes: Axes, series: Series, x: float, point: Point) -> None:
    axes.text(
        x,
        0.02,
        "suppressed",
        transform=axes.get_xaxis_transform(),
        rotation=90,
        ha="center",
        va="bottom",
        fontsize=7,
        color="0.4",
        gid=f"suppressed-{slug(series.name)}-{slug(point.label)}",
    )


def _lines(figure: Figure, chart: Chart) -> None:
    left = figure.add_subplot()
    right = left.twinx() if any(s.axis is Axis.RIGHT for s in chart.series) else None
    labels = [p.label for p in chart.series[0].points] if chart.series else []
    xs = list(range(len(labels)))
    handles = []
    for index, series in enumerate(chart.series):
        axes = right if series.axis is Axis.RIGHT and right is not None else left
        color = f"C{index}"
        name = slug(series.name)
        (line,) = axes.plot(
            xs,
            [_value(p) for p in series.points],
            color=color,
            label=series.name,
            gid=f"line-{name}",
        )
        handles.append(line)
        lows = [math.nan if p.interval is None else p.interval.low for p in series.points]
        highs = [math.nan if p.interval is None else p.interval.high for p in series.points]
        if any(not math.isnan(v) for v in lows):
            axes.fill_between(xs, lows, highs, color=color, alpha=0.15, gid=f"interval-{name}")
        for x, point in zip(xs, series.points, strict=True):
            if point.value is not None:
                axes.plot(
                    [x],
                    [point.value],
                    "o",
                    color=color,
                    markersize=3,
                    gid=f"point-{name}-{slug(point.label)}",
                )
            elif point.suppressed:
                _mark_suppressed(axes, series, x, point)
    step = max(1, math.ceil(len(labels) / _MAX_TICKS))
    left.set_xticks(xs[::step], labels[::step], rotation=45, ha="right", fontsize=7)
    left.set_xlabel(chart.x_label)
    left.set_ylabel(chart.y_label)
    if right is not None and chart.y2_label:
        right.set_ylabel(chart.y2_label)
    left.legend(handles=handles, loc="upper left", fontsize=8)


def _bars(figure: Figure, chart: Chart) -> None:
    axes = figure.add_subplot()
    labels = [p.label for p in chart.series[0].points] if chart.series else []
    width = 0.8 / max(1, len(chart.series))
    for index, series in enumerate(chart.series):
        name = slug(series.name)
        for position, point in enumerate(series.points):
            x = position - 0.4 + width * (index + 0.5)
            if point.value is None:
                if point.suppressed:
                    _mark_suppressed(axes, series, x, point)
                continue
            axes.bar(
                [x],
                [point.value],
                width=width,
                color=f"C{index}",
                label=series.name if position == 0 else None,
                gid=f"point-{name}-{slug(point.label)}",
            )
            if point.interval is not None:
                axes.errorbar(
                    [x],
                    [point.value],
                    yerr=[[point.value - point.interval.low], [point.interval.high - point.value]],
                    fmt="none",
                    ecolor="black",
                    capsize=3,
                    gid=f"interval-{name}-{slug(point.label)}",
                )
            if point.denominator is not None:
                axes.annotate(
                    f"n={point.denominator:,}",
                    (x, 0),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    fontsize=6,
                    color="white",
                )
    axes.set_xticks(range(len(labels)), labels)
    axes.set_xlim(-0.5, len(labels) - 0.5)  # suppressed categories keep their place
    axes.set_xlabel(chart.x_label)
    axes.set_ylabel(chart.y_label)
    # Labelled by hand: a series whose every bar is suppressed still needs its legend entry.
    axes.legend(
        handles=[Patch(color=f"C{i}", label=s.name) for i, s in enumerate(chart.series)],
        loc="upper right",
        fontsize=8,
    )


def _figure(chart: Chart) -> Figure:
    figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    if chart.kind is ChartKind.LINES:
        _lines(figure, chart)
    else:
        _bars(figure, chart)
    figure.suptitle(chart.title)
    if chart.y_range is not None:
        figure.axes[0].set_ylim(*chart.y_range)
    if chart.note:
        figure.supxlabel(chart.note, fontsize=6, color="0.35")  # laid out below the axes
    return figure


def render_svg(chart: Chart) -> bytes:
    buffer = io.BytesIO()
    # Text stays text (readable, searchable); a fixed salt keeps the ids stable.
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cairn"}):
        _figure(chart).savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def render_png(chart: Chart) -> bytes:
    buffer = io.BytesIO()
    _figure(chart).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
