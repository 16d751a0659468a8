"""The plan report for councils and funders: markdown and one self-contained HTML page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from planner.network import report_lines as network_report_lines
from planner.report.figures import display_table, format_cell, report_figures

if TYPE_CHECKING:
    from planner.pipeline import Plan

__all__ = ["report_html", "report_markdown"]


def _md_table(head: list[str], body: list[list[str]]) -> str:
    esc = [h.replace("|", "\\|") for h in head]
    lines = ["| " + " | ".join(esc) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return "\n".join(lines)


def _html_table(head: list[str], body: list[list[str]]) -> str:
    from html import escape

    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in body)
    return f'<div class="table-box"><table><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table></div>'


_SECTIONS = (
    ("communes", "Wskaźniki wg gmin (key figures by commune)"),
    ("milestones", "Kamienie milowe (milestones)"),
    ("compliance", "Zgodność z regułą 80 % (milestone compliance by locality)"),
    ("localities", "Wskaźniki wg miejscowości (key figures by village)"),
)


def _headline(p: Plan, fig: dict[str, pd.DataFrame]) -> list[str]:
    t = fig["total"].iloc[0]
    lines = [
        f"Obszar (area): {p.area.name}",
        f"Punkty adresowe (address points): {int(t['points'])}, przedsiębiorcy (businesses): {int(t['businesses'])}",
        f"Białe plamy (white spots): {int(t['white'])}, bariery inwestycyjne (barriers): {int(t['barriers'])}, "
        f"do podłączenia (targets): {int(t['targets'])}",
    ]
    if p.design is not None:
        s = p.design.summary
        lines += [
            f"Podłączone (connected): {int(t['connected'])}, niepodłączone (unconnected): {int(t['unconnected'])}",
            f"Sieć (network): {format_cell('km_', t['km_network'])} km — napowietrzna (aerial) "
            f"{format_cell('km_', t['km_aerial'])} km, kanał technologiczny (duct) "
            f"{format_cell('km_', t['km_duct'])} km, "
            f"wykop (trench) {format_cell('km_', t['km_trench'])} km; podziemnie (underground) "
            f"{format_cell('pct', t['pct_underground'])} %",
            f"Koszt całkowity (total cost): {format_cell('x_pln', t['cost_total_pln'])} PLN; na gospodarstwo "
            f"(per home passed): {format_cell('x_pln', t['cost_per_home_pln'])} PLN; oszczędność drzewa vs naiwny "
            f"(saving of the shared tree): {format_cell('pct', s.get('saving_pct', float('nan')))} %",
        ]
    if p.network is not None:  # the optical network in the headline
        lines += network_report_lines(p.network)
    if p.schedule is not None:
        sch = p.schedule
        lines.append(f"Harmonogram wykonalny (schedule feasible): {'tak (yes)' if sch.feasible else 'NIE (no)'}"
                     + ("" if sch.feasible else f"; ograniczenie (binding): {sch.binding_constraint}"))
    return lines


def report_markdown(p: Plan, figures: dict[str, pd.DataFrame] | None = None, *,
                    gantt_file: str | None = "gantt.png", map_file: str | None = "report_map.png") -> str:
    """The plan report as markdown (images referenced by file name)."""
    fig = figures if figures is not None else report_figures(p)
    out = [f"# Plan sieci FTTH — {p.area.name} (FTTH rollout plan)", ""]
    out += [f"- {x}" for x in _headline(p, fig)] + [""]
    if map_file:
        out += [f"![Mapa planu (plan map)]({map_file})", ""]
    for key, title in _SECTIONS:
        if key in fig and len(fig[key]):
            out += [f"## {title}", "", _md_table(*display_table(fig[key], key)), ""]
    if gantt_file and p.schedule is not None:
        out += ["## Harmonogram (Gantt)", "", f"![Gantt]({gantt_file})", ""]
    return "\n".join(out)


#: Tables scroll inside their box on a narrow screen (the page itself never scrolls sideways) and
#: print on A4 landscape with smaller type; headers wrap between words.
_CSS = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    ".table-box{max-width:100%;overflow-x:auto;margin:0.5em 0 1.5em}"
    "table{border-collapse:collapse;font-size:0.85em}"
    "th,td{border:1px solid #bbb;padding:3px 6px;text-align:right}th{background:#eee;vertical-align:bottom}"
    "td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ccc}"
    "@page{size:A4 landscape;margin:10mm}"
    "@media print{body{margin:0;font-size:9pt}.table-box{overflow:visible}table{font-size:6.5pt;width:100%}"
    "th,td{padding:1px 2px}h2{break-after:avoid}tr{break-inside:avoid}img{max-height:170mm}}"
)


def report_html(p: Plan, figures: dict[str, pd.DataFrame] | None = None, *, gantt_png: bytes | None = None,
                map_png: bytes | None = None) -> str:
    """The plan report as one self-contained HTML page (images inlined as base64)."""
    import base64
    from html import escape

    fig = figures if figures is not None else report_figures(p)
    parts = ["<!DOCTYPE html><html lang=\"pl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
             "content=\"width=device-width, initial-scale=1\"><title>Plan FTTH — "
             f"{escape(p.area.name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Plan sieci FTTH — {escape(p.area.name)} (FTTH rollout plan)</h1><ul>"]
    parts += [f"<li>{escape(x)}</li>" for x in _headline(p, fig)]
    parts.append("</ul>")
    if map_png:
        parts.append('<h2>Mapa (map)</h2><img alt="mapa planu (plan map)" src="data:image/png;base64,'
                     + base64.b64encode(map_png).decode() + '">')
    for key, title in _SECTIONS:
        if key in fig and len(fig[key]):
            parts.append(f"<h2>{escape(title)}</h2>" + _html_table(*display_table(fig[key], key)))
    if gantt_png:
        parts.append('<h2>Harmonogram (Gantt)</h2><img alt="Gantt" src="data:image/png;base64,'
                     + base64.b64encode(gantt_png).decode() + '">')
    parts.append("</body></html>\n")
    return "\n".join(parts)
