"""The campaign report as one self-contained HTML page: inline SVG charts and CSS, no scripts,
nothing fetched, so it can be mailed or opened offline.

Charts: the ARPU uplift per offer with its 95% interval (per taker where take-up allows, else per
contacted), contacted against hold-out month by month, and take-up by segment and by channel.
"""

from __future__ import annotations

from html import escape
from typing import Any

from marketing_rules.i18n import N_, _, language

WIDTH = 640
CONTACTED, HELD = "#1f77b4", "#ff7f0e"
HTML_LANG = {"en": "en", "zh": "zh-CN"}
OFFER_COLUMNS = (N_("offer"), N_("code"), N_("contacted"), N_("held out"), N_("hold-out share"), N_("took up"),
                 N_("take-up"), N_("ARPU before"), N_("ARPU after"), N_("uplift per contacted [95%]"),
                 N_("per taker [95%]"), N_("uplift ratio"), N_("from"), N_("reward cost"), N_("incremental revenue"))
LASTING_COLUMNS = (N_("month"), N_("ARPU uplift per contacted [95%]"))
IMPORT_COLUMNS = (N_("kind"), N_("file"), N_("rows"), N_("imported"), N_("rejected"))
GROUPS = {"contacted": N_("contacted"), "held_out": N_("held out")}


def render_html(report: dict[str, Any]) -> str:
    """The page for a report from :func:`marketing_rules.campaign.report.campaign_report`, in the
    language in force (:func:`marketing_rules.i18n.messages_in`)."""
    title = escape(_("Campaign report"))
    store = escape(_("store {path}", path=report["store"]))
    body = [f"<h1>{title}</h1><p class=meta>{store}</p>"]
    for campaign in report["campaigns"]:
        body.append(_campaign(campaign))
    if not report["campaigns"]:
        body.append(_para(_("No campaign in the store.")))
    body.append(_imports(report.get("imports", [])))
    return (f"<!DOCTYPE html><html lang={HTML_LANG.get(language(), 'en')}><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")


_CSS = ("body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
        "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.meta{color:#666}"
        "svg{display:block;margin:.5em 0}text{font-size:11px}")


def _campaign(c: dict[str, Any]) -> str:
    meta = _("{ruleset} {version} (fingerprint {fingerprint}), decided {decided}, channel {channel}; "
             "{customers} customers, {contacted} contacted, {held_out} held out",
             ruleset=c["ruleset"], version=c["version"], fingerprint=c["fingerprint"], decided=c["decided_at"],
             channel=c["channel"], customers=c["customers"], contacted=c["contacted"], held_out=c["held_out"])
    head = f"<h2>{escape(c['name'])}</h2><p class=meta>{escape(meta)}</p>"
    rows = "".join(_offer_row(o) for o in c["offers"])
    table = f"<table>{_header(OFFER_COLUMNS)}{rows}</table>"
    parts = [head, table, _heading("h3", _("ARPU uplift per offer, 95% interval")), forest(c["offers"])]
    for o in c["offers"]:
        parts.append(_heading("h3", _("{offer}: contacted against hold-out, month by month (ARPU)", offer=o["offer"])))
        parts.append(months_chart(o["months"]))
        parts.append(_lasting(o))
        parts.append(_heading("h4", _("take-up by segment")))
        parts.append(bars([(s["segment"], s["take_up_rate"] or 0.0) for s in o["segments"]]))
        parts.append(_heading("h4", _("take-up by channel (of the contacted)")))
        parts.append(bars([(ch["channel"], ch["rate"] or 0.0) for ch in o["by_channel"]]))
    return "".join(parts)


def _heading(tag: str, text: str) -> str:
    return f"<{tag}>{escape(text)}</{tag}>"


def _para(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _header(columns: tuple[str, ...]) -> str:
    """A table's header row, its column names in the language in force."""
    return "<tr>" + "".join(f"<th>{escape(_(column))}</th>" for column in columns) + "</tr>"


def _offer_row(o: dict[str, Any]) -> str:
    u = o["uplift"]["arpu"]
    cells = [o["offer"], o["code"] or "", o["contacted"], o["held_out"], _pct(o["holdout_share"]), o["taken_up"],
             _pct(o["take_up_rate"]), _num(o["before"]["contacted"]["arpu"]), _num(o["after"]["contacted"]["arpu"]),
             _interval(u["contact"], u["low"], u["high"]), _interval(u["per_taker"], u["per_taker_low"], u["per_taker_high"]),
             _pct(o["uplift_ratio"]), ", ".join(o["uplift_from"]) or "-", _num(o["reward_cost"]),
             _num(o["incremental_revenue"])]
    return "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"


def _lasting(o: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td>{escape(m['month'])}</td><td>{_interval(m['contact'], m['low'], m['high'])}</td></tr>"
                   for m in o["lasting"])
    return f"<table>{_header(LASTING_COLUMNS)}{rows}</table>" if rows else ""


def _imports(imports: list[dict[str, Any]]) -> str:
    if not imports:
        return ""
    rows = "".join(f"<tr><td>{escape(i['kind'])}</td><td>{escape(i['source'])}</td><td>{i['rows']}</td>"
                   f"<td>{i['accepted']}</td><td>{i['rejected']}</td></tr>" for i in imports)
    return _heading("h2", _("Imports")) + f"<table>{_header(IMPORT_COLUMNS)}{rows}</table>"


def forest(offers: list[dict[str, Any]]) -> str:
    """One line per offer: the estimate as a dot and its 95% interval, with the zero line."""
    points = []
    for o in offers:
        u = o["uplift"]["arpu"]
        if u["per_taker"] is not None:
            points.append((_("{offer} (per taker)", offer=o["offer"]), u["per_taker"], u["per_taker_low"],
                           u["per_taker_high"]))
        elif u["contact"] is not None:
            points.append((_("{offer} (per contacted)", offer=o["offer"]), u["contact"], u["low"], u["high"]))
    if not points:
        return _para(_("No uplift to show: no billing before and after."))
    lo = min(0.0, *(p[2] for p in points))
    hi = max(0.0, *(p[3] for p in points))
    lo, hi = float(lo), float(hi)
    span = (hi - lo) or 1.0
    left, right, row = 170, WIDTH - 190, 26  # labels left, figures right

    def x(v: float) -> float:
        return left + (v - lo) / span * (right - left)

    height = row * len(points) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img">',
             f'<line x1="{x(0):.1f}" y1="5" x2="{x(0):.1f}" y2="{height - 20}" stroke="#999" stroke-dasharray="3"/>']
    for i, (label, mid, low, high) in enumerate(points):
        y = 15 + i * row
        parts.append(f'<text x="5" y="{y + 4}">{escape(label)}</text>'
                     f'<line x1="{x(low):.1f}" y1="{y}" x2="{x(high):.1f}" y2="{y}" stroke="{CONTACTED}" stroke-width="2"/>'
                     f'<circle cx="{x(mid):.1f}" cy="{y}" r="4" fill="{CONTACTED}"/>'
                     f'<text x="{right + 15}" y="{y + 4}">{mid:+.2f} [{low:+.2f}, {high:+.2f}]</text>')
    parts.append(f'<text x="{x(0):.1f}" y="{height - 5}" text-anchor="middle">0</text></svg>')
    return "".join(parts)


def months_chart(months: list[dict[str, Any]]) -> str:
    """Mean ARPU by month, contacted (blue) against held out (orange); the campaign month dashed."""
    series = {g: [(m["offset"], m[g]["arpu"]) for m in months if g in m and m[g]["arpu"] is not None]
              for g in ("contacted", "held_out")}
    values = [float(v) for s in series.values() for _, v in s]
    if not values:
        return _para(_("No billing for this offer."))
    offsets = [int(m["offset"]) for m in months]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = 50, WIDTH - 110, 10, 170
    first, last = min(offsets), max(offsets)

    def x(offset: int) -> float:
        return left + (offset - first) / ((last - first) or 1) * (right - left)

    def y(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="200" role="img">',
             f'<line x1="{x(0):.1f}" y1="{top}" x2="{x(0):.1f}" y2="{bottom}" stroke="#999" stroke-dasharray="3"/>',
             f'<text x="5" y="{y(hi - pad) + 4:.1f}">{hi - pad:.1f}</text>',
             f'<text x="5" y="{y(lo + pad) + 4:.1f}">{lo + pad:.1f}</text>']
    for m in months:
        parts.append(f'<text x="{x(m["offset"]):.1f}" y="{bottom + 15}" text-anchor="middle">{escape(m["month"])}</text>')
    for (group, points), colour in zip(series.items(), (CONTACTED, HELD)):
        if points:
            path = " ".join(f"{x(o):.1f},{y(v):.1f}" for o, v in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts.append(f'<text x="{right + 8}" y="{y(points[-1][1]) + 4:.1f}" fill="{colour}">'
                         f'{escape(_(GROUPS[group]))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars(items: list[tuple[str, float]]) -> str:
    """Horizontal bars of rates (0..1)."""
    if not items:
        return _para(_("No take-up."))
    top = max(v for _, v in items) or 1.0
    row = 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{row * len(items) + 6}" role="img">']
    for i, (label, value) in enumerate(items):
        y = 3 + i * row
        width = value / top * (WIDTH - 260)
        parts.append(f'<text x="5" y="{y + 13}">{escape(str(label))}</text>'
                     f'<rect x="150" y="{y}" width="{width:.1f}" height="{row - 6}" fill="{CONTACTED}"/>'
                     f'<text x="{155 + width:.1f}" y="{y + 13}">{value * 100:.1f}%</text>')
    parts.append("</svg>")
    return "".join(parts)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _interval(mid: float | None, low: float | None, high: float | None) -> str:
    return "-" if mid is None or low is None or high is None else f"{mid:+.2f} [{low:+.2f}, {high:+.2f}]"
