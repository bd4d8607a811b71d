"""The trends chart as a PNG: the picture ``/trends`` attaches and ``paperboy trends --png`` writes.

matplotlib is imported inside :func:`render_png` only, so the bot's start-up and idle memory pay
nothing for it until someone asks for a chart (a test checks that importing the bot and its cogs
leaves it unloaded). It draws on its own ``Figure`` with the Agg canvas, never pyplot: no global
figure state, nothing a GUI backend could pick up, safe to call from a worker thread.

Made for Discord's dark theme and a phone screen: a dark background close to Discord's, thick lines in
colour-blind-safe colours bright enough on it (Okabe–Ito, without its dark blue), large type, a
legend naming each line, the week range in the title, whole-number axes from zero.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.trends import Trends

WIDTH, HEIGHT, DPI = 1200, 675, 100  # 16:9, what Discord shows inline at full width
BACKGROUND = "#2b2d31"  # Discord's dark theme, one step darker than its chat so the image has an edge
TEXT = "#f2f3f5"
MUTED = "#b5bac1"
GRID = "#4e5058"
COLOURS = ("#56B4E9", "#E69F00", "#F0E442", "#CC79A7", "#009E73", "#D55E00")  # Okabe–Ito on dark


def render_png(trends: Trends) -> bytes:
    """The chart of ``trends`` as PNG bytes, exactly ``WIDTH`` × ``HEIGHT`` pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(facecolor=BACKGROUND)
    n = len(trends.weeks)
    xs = list(range(n))
    for i, tag in enumerate(trends.tags):
        ax.plot(xs, trends.counts[tag], color=COLOURS[i % len(COLOURS)], linewidth=3.2,
                marker="o" if n <= 26 else None, markersize=6, label=f"{tag} ({trends.totals[tag]})",
                solid_capstyle="round")
    ax.set_ylabel("papers featured", color=MUTED, fontsize=15)
    ax.set_xlim(-0.4 if n > 1 else -1, n - 0.6 if n > 1 else 1)
    ax.set_ylim(bottom=0, top=max(4, max((max(trends.counts[t]) for t in trends.tags), default=0)) * 1.08)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    step = max(1, -(-n // 6))  # at most 6-7 week labels: each is 8 characters wide
    ticks = list(range(n - 1, -1, -step))[::-1]  # counted back from the newest week, so it is labelled
    ax.set_xticks(ticks, [trends.weeks[t] for t in ticks])
    ax.tick_params(colors=MUTED, labelsize=14, length=0, pad=8)
    ax.grid(axis="y", color=GRID, linewidth=1)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GRID)
    # Title, then the legend in up to 3 columns above the plot: it never hides a line.
    fig.text(0.015, 0.965, f"Papers per tag per week · {trends.range_label}", color=TEXT, fontsize=19,
             ha="left", va="top")
    columns = min(3, max(1, len(trends.tags)))
    rows = -(-len(trends.tags) // columns)
    # matplotlib fills a legend column by column; hand it the lines so that it reads by rows, in rank order.
    handles, labels = ax.get_legend_handles_labels()
    order = [r * columns + c for c in range(columns) for r in range(rows) if r * columns + c < len(handles)]
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
               bbox_to_anchor=(0.005, 0.905), ncols=columns, fontsize=14, frameon=False, labelcolor=TEXT,
               handlelength=1.6, columnspacing=1.6)
    fig.text(0.99, 0.015, "distinct papers featured per ISO week; (n) = papers in the whole range · paperboy",
             color=MUTED, fontsize=11, ha="right", va="bottom")
    fig.subplots_adjust(left=0.07, right=0.955, top=0.9 - 0.045 * rows, bottom=0.1)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND)
    return out.getvalue()
