"""A report on the page: Vietnamese number and date format, and charts as inline SVG,
drawn here so the page needs no script or internet."""
import math
from datetime import date
from html import escape


def vn(value, places: int = 1) -> str:
    """A number as a Vietnamese reader expects it: decimal comma, a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{places}f}".replace(".", ",")
    return str(value)


def vn_day(iso: str) -> str:
    """"2026-11-23" as 23/11/2026."""
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}" class="chart">' + "".join(body) + "</svg>")


def _nice(top: float) -> float:
    """A round axis maximum at or above `top`."""
    if top <= 0:
        return 1
    step = 10 ** math.floor(math.log10(top))
    return next(m * step for m in (1, 2, 2.5, 5, 10) if m * step >= top)


def hours_chart(report: dict) -> str:
    """Tickets issued and served, by the hour they were issued in: grouped vertical bars."""
    rows = report["hours"]
    width, height, left, bottom, top = 720, 260, 44, 30, 28
    if not rows:
        return _svg(width, 60, ['<text x="10" y="35">Không có số nào trong khoảng này.</text>'], "Số theo giờ")
    peak = _nice(max(r["issued"] for r in rows))
    slot = (width - left - 10) / len(rows)
    scale = (height - bottom - top) / peak
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#8895a2"/>']
    for tick in (0, peak / 2, peak):
        y = height - bottom - tick * scale
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                    f'{vn(tick) if tick % 1 else int(tick)}</text>')
    for i, r in enumerate(rows):
        x = left + i * slot
        for j, (key, color) in enumerate((("issued", "#0b5cad"), ("served", "#12733a"))):
            h = r[key] * scale
            body.append(f'<rect x="{x + 4 + j * (slot - 8) / 2:.1f}" y="{height - bottom - h:.1f}" '
                        f'width="{(slot - 8) / 2:.1f}" height="{h:.1f}" fill="{color}">'
                        f'<title>{r["hour"]:02d}h: {r[key]}</title></rect>')
        body.append(f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="11">'
                    f'{r["hour"]:02d}h</text>')
    body.append(f'<rect x="{left}" y="6" width="12" height="12" fill="#0b5cad"/>'
                f'<text x="{left + 16}" y="16" font-size="12">Số phát</text>'
                f'<rect x="{left + 90}" y="6" width="12" height="12" fill="#12733a"/>'
                f'<text x="{left + 106}" y="16" font-size="12">Đã phục vụ</text>')
    return _svg(width, height, body, "Số phát và đã phục vụ theo giờ lấy số")


def wait_chart(report: dict) -> str:
    """Average and 90th-percentile wait per field, in minutes: horizontal bars."""
    rows = [r for r in report["fields"] if r["wait"]["count"]]
    width, row_h, left, top = 720, 34, 230, 28
    if not rows:
        return _svg(width, 60, ['<text x="10" y="35">Chưa có số nào được gọi.</text>'], "Thời gian chờ")
    height = top + row_h * len(rows) + 10
    peak = _nice(max(r["wait"]["p90"] for r in rows) / 60)
    scale = (width - left - 60) / peak
    body = [f'<rect x="{left}" y="6" width="12" height="12" fill="#0b5cad"/>'
            f'<text x="{left + 16}" y="16" font-size="12">Chờ trung bình</text>'
            f'<rect x="{left + 130}" y="6" width="12" height="12" fill="#a15c00"/>'
            f'<text x="{left + 146}" y="16" font-size="12">9 trong 10 người chờ không quá (phút)</text>']
    for i, r in enumerate(rows):
        y = top + i * row_h
        body.append(f'<text x="{left - 8}" y="{y + 20}" text-anchor="end" font-size="12">{escape(r["name"])}</text>')
        for j, (key, color) in enumerate((("avg", "#0b5cad"), ("p90", "#a15c00"))):
            value = r["wait"][key] / 60
            body.append(f'<rect x="{left}" y="{y + 4 + j * 13}" width="{value * scale:.1f}" height="12" '
                        f'fill="{color}"><title>{escape(r["name"])}: {vn(value)} phút</title></rect>'
                        f'<text x="{left + value * scale + 4:.1f}" y="{y + 14 + j * 13}" font-size="11">'
                        f'{vn(value)}</text>')
    return _svg(width, height, body, "Thời gian chờ theo lĩnh vực")
