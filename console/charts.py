"""The push monitor's chart (PUSH-07) as an inline SVG built on the server: grouped bars of active
users, users with push enabled and opt-outs per bucket.

No script and no chart library; each bar carries a <title> with its figure, which browsers show on
hover."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 1120, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 56
SERIES = (
    ("active_users", "Активные пользователи", "#1e88e5"),
    ("push_enabled_users", "С включёнными push", "#43a047"),
    ("opt_outs", "Отписки от push", "#e53935"),
)
MONTHS = ("янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def _label(start, granularity: str) -> str:
    text = f"{start.day} {MONTHS[start.month - 1]}"
    return f"с {text}" if granularity == "week" else text


def monitor_chart(buckets: list, granularity: str) -> Markup:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max([getattr(b, key) for b in buckets for key, _, _ in SERIES] or [0]))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="chart-title">',
             '<title id="chart-title">Активные пользователи, пользователи с включёнными push и отписки</title>']
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{value}</text>')
    if buckets:
        slot = plot_w / len(buckets)
        bar = max(1.0, min(18.0, slot * 0.8 / len(SERIES)))
        every = max(1, round(len(buckets) / 15))  # at most ~15 axis labels
        for n, bucket in enumerate(buckets):
            x0 = LEFT + slot * n + (slot - bar * len(SERIES)) / 2
            for k, (key, label, color) in enumerate(SERIES):
                value = getattr(bucket, key)
                h = plot_h * value / top
                parts.append(
                    f'<rect class="bar {key}" x="{x0 + k * bar:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                    f'height="{h:.1f}" fill="{color}" data-value="{value}">'
                    f'<title>{escape(_label(bucket.start, granularity))}: {escape(label)} — {value}</title></rect>')
            if n % every == 0:
                parts.append(f'<text x="{LEFT + slot * n + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                             f'text-anchor="middle" font-size="11" fill="#555">'
                             f'{escape(_label(bucket.start, granularity))}</text>')
    else:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#777">Нет данных за период</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#9e9e9e"/>')
    x = LEFT
    for _, label, color in SERIES:
        parts.append(f'<rect x="{x}" y="{HEIGHT - 20}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 18}" y="{HEIGHT - 10}" font-size="12" fill="#333">{escape(label)}</text>')
        x += 230
    parts.append("</svg>")
    return Markup("".join(parts))
