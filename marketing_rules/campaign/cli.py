"""``marketing-rules campaign run | outcomes | report | tags``: the marketing loop on the command
line. Exit codes as everywhere: 0 ok, 1 rows rejected by an import, 2 bad input."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from marketing_rules.campaign.store import DEFAULT_STORE
from marketing_rules.i18n import N_, _

if TYPE_CHECKING:
    from marketing_rules.campaign.outcomes import ImportSummary
    from marketing_rules.campaign.run import RunSummary

OK, FINDINGS, BAD_INPUT = 0, 1, 2
STORE = click.option("--store", default=DEFAULT_STORE, show_default=True, help="the campaign store (a DuckDB file)")


def _fail(error: Exception) -> NoReturn:
    click.echo(_("error: {message}", message=str(error).splitlines()[0] if str(error) else type(error).__name__), err=True)
    raise SystemExit(BAD_INPUT)


@click.group()
def campaign() -> None:
    """Campaigns: recommend with hold-outs and budgets, import outcomes, measure uplift."""


@campaign.command()
@click.argument("ruleset")
@click.option("--customers", required=True, help="the customer base: Parquet or CSV")
@click.option("--at", "at", required=True, help="the campaign's date (YYYY-MM-DD): the version in force then decides")
@STORE
@click.option("--name", help="the campaign's name (default: RULESET-DATE); a rerun replaces its records")
@click.option("--channel", help="the channel recommendations go out on (default: the rule file's, else sms)")
@click.option("--rulesets", default="rulesets", show_default=True, help="where a ruleset id is looked up")
@click.option("--backend", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
def run(ruleset: str, customers: str, at: str, store: str, name: str | None, channel: str | None, rulesets: str,
        backend: str) -> None:
    """Decide the base with RULESET (a rule file, or an id in --rulesets) and record whom to contact."""
    from marketing_rules.campaign.run import run_campaign
    from marketing_rules.errors import RulesetError

    try:
        day = dt.date.fromisoformat(at)
        summary = run_campaign(ruleset, customers, at=day, store=store, name=name, channel=channel,
                               backend=backend, rulesets=rulesets)
    except RulesetError as error:
        click.echo(error.render(), err=True)
        raise SystemExit(BAD_INPUT) from None
    except (ValueError, OSError, LookupError, ImportError) as error:
        _fail(error)
    click.echo(run_line(summary))


def run_line(summary: RunSummary) -> str:
    """What a run recorded, in one line (RunSummary's text in the language in force)."""
    offers = _("; ").join(_("{offer}: {contacted} contacted, {held_out} held out", offer=o, contacted=c, held_out=h)
                       for o, (c, h) in summary.by_offer.items())
    return _("campaign {name}: {ruleset} {version} in force on {date}; {count} customers, {rejected} rejected, "
             "{chosen} chosen, {contacted} contacted, {held_out} held out ({offers})", name=summary.name,
             ruleset=summary.ruleset, version=summary.version, date=summary.at, count=summary.customers,
             rejected=summary.rejected, chosen=summary.eligible, contacted=summary.contacted,
             held_out=summary.held_out, offers=offers or _("no offer"))


IMPORTED = {
    "outcomes": N_("outcomes {file}: {count} rows, {imported} imported, {rejected} rejected"),
    "billing": N_("billing {file}: {count} rows, {imported} imported, {rejected} rejected"),
}


def import_lines(summary: ImportSummary) -> str:
    """What an import did, and its rows rejected per reason (the reasons as recorded, in English)."""
    if summary.kind not in IMPORTED:
        return str(summary)
    head = _(IMPORTED[summary.kind], file=Path(summary.source).name, count=summary.rows, imported=summary.accepted,
             rejected=summary.rejected)
    return head + "".join(f"\n  {n} {reason}" for reason, n in summary.reasons.items())


@campaign.command()
@click.argument("uptakes", required=False)
@click.option("--billing", "billing", multiple=True, help="monthly billing records: id, month, arpu, voice_min, data_mb")
@STORE
def outcomes(uptakes: str | None, billing: tuple[str, ...], store: str) -> None:
    """Import UPTAKES (id, offer or code, handled_at, channel) and --billing files, CSV or Parquet."""
    from marketing_rules.campaign.outcomes import import_billing, import_outcomes
    from marketing_rules.campaign.store import Store

    if uptakes is None and not billing:
        _fail(ValueError(_("give an uptakes file, --billing files, or both")))
    rejected = 0
    try:
        with Store(store) as opened:
            summaries = ([import_outcomes(uptakes, store=opened)] if uptakes else [])
            summaries += [import_billing(path, store=opened) for path in billing]
    except (ValueError, OSError) as error:
        _fail(error)
    for summary in summaries:
        click.echo(import_lines(summary))
        rejected += summary.rejected
    if rejected:
        click.echo(_("{count} rows rejected: SELECT * FROM rejected in {store}", count=rejected, store=store), err=True)
        raise SystemExit(FINDINGS)


@campaign.command()
@STORE
@click.option("--campaign", "name", help="one campaign (default: all)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--html", type=click.Path(dir_okay=False), help="write a self-contained HTML report")
def report(store: str, name: str | None, as_json: bool, html: str | None) -> None:
    """Take-up, spend before and after, and uplift against the hold-out with 95% intervals."""
    from marketing_rules.campaign.report import campaign_report
    from marketing_rules.campaign.report_html import render_html

    try:
        data = campaign_report(store, campaign=name)
    except (ValueError, OSError) as error:
        _fail(error)
    if html:
        with open(html, "w", encoding="utf-8") as file:
            file.write(render_html(data))
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        click.echo()
    elif not html:
        click.echo(text_report(data))


def text_report(data: dict[str, Any]) -> str:
    """The report as a few lines per offer."""
    lines = []
    for c in data["campaigns"]:
        lines.append(_("campaign {name} ({ruleset} {version}, {date}, {channel}): {contacted} contacted, "
                       "{held_out} held out", name=c["name"], ruleset=c["ruleset"], version=c["version"],
                       date=c["decided_at"], channel=c["channel"], contacted=c["contacted"], held_out=c["held_out"]))
        for o in c["offers"]:
            u = o["uplift"]["arpu"]
            lines.append("  " + _("{offer}: {contacted} contacted, {held_out} held out, {taken_up} took it ({rate})",
                                  offer=o["offer"], contacted=o["contacted"], held_out=o["held_out"],
                                  taken_up=o["taken_up"], rate=_pct(o["take_up_rate"])))
            if u["contact"] is None:
                lines.append("    " + _("uplift: not enough billing to measure"))
                continue
            if u["per_taker"] is None:
                lines.append("    " + _("arpu uplift per contacted {uplift:+.2f} [{low:+.2f}, {high:+.2f}]",
                                        uplift=u["contact"], low=u["low"], high=u["high"]))
            else:
                lines.append("    " + _("arpu uplift per contacted {uplift:+.2f} [{low:+.2f}, {high:+.2f}], per taker "
                                        "{per_taker:+.2f} [{per_taker_low:+.2f}, {per_taker_high:+.2f}]",
                                        uplift=u["contact"], low=u["low"], high=u["high"], per_taker=u["per_taker"],
                                        per_taker_low=u["per_taker_low"], per_taker_high=u["per_taker_high"]))
            revenue = o["incremental_revenue"] if o["incremental_revenue"] is not None else "-"
            lines.append("    " + _("reward cost {cost:.2f}, incremental revenue {revenue}", cost=o["reward_cost"],
                                    revenue=revenue))
    return "\n".join(lines) if lines else _("no campaign in the store")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


@campaign.command()
@STORE
@click.option("--out", required=True, help="the tags file: .parquet or .csv, one row per customer")
def tags(store: str, out: str) -> None:
    """Customer tags from the records (answers SMS, preferred channel, prefers bill credit, ...)."""
    from marketing_rules.campaign.tags import INPUTS_YAML, customer_tags

    try:
        written = customer_tags(store, out)
    except (ValueError, OSError) as error:
        _fail(error)
    click.echo(_("{count} customers tagged in {file}; a ruleset reads them with:", count=written, file=out)
               + "\n" + INPUTS_YAML, nl=False)
