"""Charts drawn on the server as SVG: no script, no network, readable by screen readers.

Each chart is an ``<svg role="img">`` with a title that states what it shows in words, a
``<title>`` on every mark (the browser shows it on hover), and a legend; pages put the numbers in
a table beside it as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

# Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
CAMPAIGN = "#b42318"
ORGANIC = "#1f5fa8"
BASELINE = "#1d2939"
NEUTRAL = "#667085"
NEW_ACCOUNT = "#b54708"
EDGE = "#98a2b3"

STEPS = (300, 900, 3600, 6 * 3600, 86400, 7 * 86400)


def _svg(parts: list[str]) -> Markup:
    """Close the drawing; safe because every text put into ``parts`` went through escape()."""
    return Markup("".join([*parts, "</svg>"]))  # noqa: S704 - escaped piece by piece


@dataclass(frozen=True)
class Bin:
    """One bar of a timeline: reports from a campaign and the others, starting at ``start``."""

    start: int
    campaign: int
    other: int

    @property
    def total(self) -> int:
        return self.campaign + self.other


def bin_seconds(span: int, *, most: int = 60) -> int:
    """The shortest of 5 min, 15 min, 1 h, 6 h, 1 day, 1 week that fits ``span`` in ``most`` bars.

    >>> bin_seconds(3 * 3600), bin_seconds(10 * 86400)
    (300, 21600)
    """
    for step in STEPS:
        if span / step <= most:
            return step
    return STEPS[-1]


def bin_times(times: list[tuple[int, bool]], *, start: int, end: int) -> tuple[list[Bin], int]:
    """Count ``(epoch, from_campaign)`` pairs into bars between ``start`` and ``end``."""
    step = bin_seconds(max(end - start, 1))
    first = start - start % step
    n = (end - first) // step + 1
    campaign, other = [0] * n, [0] * n
    for t, linked in times:
        i = min(max((t - first) // step, 0), n - 1)
        if linked:
            campaign[i] += 1
        else:
            other[i] += 1
    return [Bin(first + i * step, campaign[i], other[i]) for i in range(n)], step


def _stamp(epoch: int, step: int) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%d" if step >= 86400 else "%m-%d %H:%M")


def _duration(seconds: int) -> str:
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds} s"


def timeline(bins: list[Bin], step: int, *, baseline: float, label: str) -> Markup:
    """Stacked bars of reports per interval (campaign-linked in red) against a dashed baseline.

    ``baseline`` is the target's usual number of reports per interval of the same length.
    """
    width, height, left, bottom, top = 720, 220, 44, 28, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max([b.total for b in bins] + [baseline, 1.0])
    bar_w = plot_w / max(len(bins), 1)

    def y(v: float) -> float:
        return top + plot_h - v / peak * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" '
        f'stroke="{NEUTRAL}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="tick">{peak:.0f}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for i, b in enumerate(bins):
        x = left + i * bar_w
        tip = f"{_stamp(b.start, step)}: {b.total} reports ({b.campaign} from a detected campaign)"
        for value, base, colour in ((b.other, 0, ORGANIC), (b.campaign, b.other, CAMPAIGN)):
            if value:
                parts.append(
                    f'<rect x="{x + 0.5:.1f}" y="{y(base + value):.1f}" '
                    f'width="{max(bar_w - 1, 1):.1f}" height="{y(base) - y(base + value):.1f}" '
                    f'fill="{colour}"><title>{escape(tip)}</title></rect>'
                )
    if baseline > 0:
        parts.append(
            f'<line x1="{left}" y1="{y(baseline):.1f}" x2="{width - 8}" y2="{y(baseline):.1f}" '
            f'stroke="{BASELINE}" stroke-width="2" stroke-dasharray="6 4">'
            f"<title>baseline: {baseline:.2f} reports per {_duration(step)}</title></line>"
        )
    if bins:
        parts.append(
            f'<text x="{left}" y="{height - 8}" class="tick">{_stamp(bins[0].start, step)}</text>'
        )
        parts.append(
            f'<text x="{width - 8}" y="{height - 8}" text-anchor="end" class="tick">'
            f"{_stamp(bins[-1].start + step, step)} (bars of {_duration(step)})</text>"
        )
    return _svg(parts)


def bars(items: list[tuple[str, float]], *, label: str, colour: str = ORGANIC) -> Markup:
    """Horizontal bars, one per item, labelled with their value."""
    row, left, width = 26, 190, 640
    height = row * max(len(items), 1) + 8
    peak = max([v for _, v in items] + [1.0])
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
    ]
    for i, (name, value) in enumerate(items):
        top = 4 + i * row
        length = (width - left - 70) * value / peak
        parts.append(
            f'<text x="{left - 8}" y="{top + 16}" text-anchor="end" class="tick">'
            f"{escape(name)}</text>"
            f'<rect x="{left}" y="{top + 3}" width="{max(length, 1):.1f}" height="{row - 8}" '
            f'fill="{colour}"><title>{escape(name)}: {value:g}</title></rect>'
            f'<text x="{left + length + 6:.1f}" y="{top + 16}" class="tick">{value:g}</text>'
        )
    return _svg(parts)


@dataclass(frozen=True)
class Node:
    """A reporter or target in the campaign graph; ``flag`` marks a new account."""

    name: str
    reports: int
    flag: bool = False


def bipartite(
    members: list[Node],
    targets: list[Node],
    edges: list[tuple[int, int, int]],
    *,
    label: str,
) -> Markup:
    """Reporters on the left, the accounts they reported on the right, a line per pair.

    A brigade draws a dense block of lines into few targets; camouflage (members also reporting
    unrelated accounts to look normal) shows as thin lines fanning out to the other targets.
    ``edges`` are (member index, target index, reports).
    """
    gap = 14
    rows = max(len(members), len(targets), 1)
    width, height = 720, rows * gap + 40
    lx, rx = 170, 550

    def member_y(i: int) -> float:
        return 20 + (i + 0.5) * (height - 40) / max(len(members), 1)

    def target_y(j: int) -> float:
        return 20 + (j + 0.5) * (height - 40) / max(len(targets), 1)

    heaviest = max([w for _, _, w in edges] + [1])
    parts = [
        f'<svg class="chart graph" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<text x="{lx}" y="12" text-anchor="end" class="tick">reporters</text>',
        f'<text x="{rx}" y="12" class="tick">reported accounts</text>',
    ]
    for i, j, w in edges:
        parts.append(
            f'<line x1="{lx}" y1="{member_y(i):.1f}" x2="{rx}" y2="{target_y(j):.1f}" '
            f'stroke="{CAMPAIGN if targets[j].flag else EDGE}" '
            f'stroke-opacity="{0.35 + 0.5 * w / heaviest:.2f}" '
            f'stroke-width="{1 + w / heaviest:.1f}">'
            f"<title>{escape(members[i].name)} reported {escape(targets[j].name)} {w} "
            f"time{'s' if w != 1 else ''}</title></line>"
        )
    for i, m in enumerate(members):
        colour = NEW_ACCOUNT if m.flag else ORGANIC
        parts.append(
            f'<circle cx="{lx}" cy="{member_y(i):.1f}" r="4" fill="{colour}">'
            f"<title>{escape(m.name)}: {m.reports} reports"
            f"{' (new account)' if m.flag else ''}</title></circle>"
            f'<text x="{lx - 8}" y="{member_y(i) + 4:.1f}" text-anchor="end" class="node">'
            f"{escape(m.name)}</text>"
        )
    for j, t in enumerate(targets):
        colour = CAMPAIGN if t.flag else NEUTRAL
        parts.append(
            f'<circle cx="{rx}" cy="{target_y(j):.1f}" r="5" fill="{colour}">'
            f"<title>{escape(t.name)}: {t.reports} reports from these reporters</title></circle>"
            f'<text x="{rx + 9}" y="{target_y(j) + 4:.1f}" class="node">{escape(t.name)}</text>'
        )
    return _svg(parts)
