"""The footer every saved figure carries: under everything, including a legend hung below the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mixedmotive.plots import footer  # noqa: E402


def test_footer_sits_under_a_figure_legend_below_the_axes(tmp_path):
    fig, ax = plt.subplots(figsize=(6, 3), constrained_layout=True)
    line, = ax.plot([0, 1], [0, 1], label="a method")
    fig.legend(handles=[line] * 3, loc="outside lower center", ncol=3)
    drawn = []  # the legend and the footer as the saved page draws them

    def record(event):
        if fig.texts:  # the footer is there
            drawn.append((fig.legends[0].get_window_extent(event.renderer),
                          fig.texts[-1].get_window_extent(event.renderer)))

    fig.canvas.mpl_connect("draw_event", record)
    with footer.use("mixedmotive · scale test · plotted at 0123456789"):
        footer.save_pdf(fig, tmp_path / "f.pdf")
    plt.close(fig)
    legend, text = drawn[-1]
    assert text.y1 <= legend.y0
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
