"""Bar charts drawn on the server as SVG: geometry here, markup in templates/insights/_chart.html.

No script and no inline style: the page's Content-Security-Policy stays strict, and a chart
prints, zooms and reads the same everywhere. Each bar carries its label and value as a
<title>, and every chart is followed by the same figures as a table.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 180
#: Room under the bars for the first and last labels, and above them for the largest value.
AXIS, HEADROOM = 22, 16
GAP = 0.25  # share of each slot left between bars
MAX_TICKS = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    maximum: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return self.height - AXIS

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def ticks(self) -> tuple[tuple[str, float, str], ...]:
        """(label, x, text-anchor) written under the axis: every bar's label when there are few,
        else the first and the last, kept inside the chart's edges."""
        if len(self.bars) <= MAX_TICKS:
            return tuple((bar.label, round(bar.x + bar.width / 2, 2), "middle") for bar in self.bars)
        first, last = self.bars[0], self.bars[-1]
        return ((first.label, first.x, "start"), (last.label, round(last.x + last.width, 2), "end"))


def bar_chart(series: list[tuple[str, int]], width: int = WIDTH, height: int = HEIGHT) -> BarChart:
    """Bars for (label, value) pairs, scaled so the largest value fills the plot."""
    maximum = max((value for _, value in series), default=0)
    plot = height - AXIS - HEADROOM
    slot = width / max(len(series), 1)
    bars = []
    for position, (label, value) in enumerate(series):
        bar_height = plot * value / maximum if maximum else 0.0
        bars.append(Bar(
            x=round(position * slot + slot * GAP / 2, 2),
            y=round(height - AXIS - bar_height, 2),
            width=round(slot * (1 - GAP), 2),
            height=round(bar_height, 2),
            label=label,
            value=value,
        ))
    return BarChart(tuple(bars), maximum, width, height)
