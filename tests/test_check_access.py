"""The offer-access check: an offer that gives a service reaches only customers the access matrix
(or the offer's own grant) lets use it (plan 000 step 3: the access matrix decides who may use what)."""

from __future__ import annotations

import marketing_rules as mr
from marketing_rules.analysis.consistency import Finding, Report

RULESET = """
ruleset: access-check
version: 1.0.0
facts:
  tier: {type: enum, values: [gold, silver, ordinary]}
tables:
  - id: tiers
    hit: first
    inputs: [arpu]
    outputs: [tier]
    rows:
      - [">= 300", gold]
      - [">= 100", silver]
      - ["-", ordinary]
rules:
  - id: lounge-gift
    when: {{lounge_when}}
    then:
      offer:
        mode: {{mode}}
        rewards:
          - service: airport-lounge
{{grant}}
services:
  airport-lounge: {class: restricted}
access:
  by: tier
  gold: {restricted: free}
  silver: {restricted: [paid]}
"""


def check(when: str, mode: str = "gift", grant: str = "") -> Report:
    text = RULESET.replace("{{lounge_when}}", when).replace("{{mode}}", mode).replace("{{grant}}", grant)
    return mr.load_ruleset("access.yaml", text=text).check(timeout=10)


def access_findings(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.kind == "offer-access"]


def test_an_offer_to_a_tier_the_matrix_denies_is_found_with_a_witness() -> None:
    report = check("arpu >= 50")
    (finding,) = access_findings(report)
    assert finding.rules == ("lounge-gift",)
    assert "airport-lounge" in finding.message and "ordinary" in finding.message
    rs = mr.load_ruleset("access.yaml", text=RULESET.replace("{{lounge_when}}", "arpu >= 50")
                         .replace("{{mode}}", "gift").replace("{{grant}}", ""))
    decision = rs.evaluate(finding.witness)
    assert "lounge-gift" in decision.fired and "airport-lounge" not in decision.access


def test_an_offer_within_the_matrix_is_proved() -> None:
    report = check("arpu >= 100")
    assert access_findings(report) == []
    assert "offer lounge-gift: airport-lounge only where the access matrix allows it" in report.proved


def test_a_trial_offer_needs_the_trial_mode() -> None:
    (finding,) = access_findings(check("arpu >= 100", mode="trial"))  # silver has only paid
    rs_text = RULESET.replace("{{lounge_when}}", "arpu >= 100").replace("{{mode}}", "trial").replace("{{grant}}", "")
    decision = mr.load_ruleset("access.yaml", text=rs_text).evaluate(finding.witness)
    assert decision.facts["tier"] == "silver" and decision.access["airport-lounge"].modes == ("paid",)


def test_the_offers_own_grant_allows_it() -> None:
    grant = "      grant: {service: airport-lounge, mode: trial}"
    report = check("arpu >= 50", mode="trial", grant=grant)
    assert access_findings(report) == []
    assert "offer lounge-gift: airport-lounge only where the access matrix allows it" in report.proved


def load_errors(when: str, mode: str = "gift", grant: str = "") -> list[str]:
    text = RULESET.replace("{{lounge_when}}", when).replace("{{mode}}", mode).replace("{{grant}}", grant)
    try:
        mr.load_ruleset("access.yaml", text=text)
    except mr.RulesetError as error:
        return [d.render() for d in error.diagnostics]
    return []


def test_an_offer_naming_only_denied_tiers_is_refused_at_load_at_its_reward() -> None:
    (message,) = load_errors("tier == 'ordinary'")
    assert message.startswith("access.yaml:22:13: MR212 rule 'lounge-gift': gives the service airport-lounge "
                              "only to tier ordinary"), message
    (message,) = load_errors("""{all: [arpu >= 0, "tier in ['silver']"]}""", mode="trial")
    assert "airport-lounge as trial only to tier silver" in message, message


def test_load_refuses_only_what_is_certain() -> None:
    assert load_errors("tier in [gold, ordinary]") == []      # gold may use it: check finds ordinary
    assert load_errors("tier == 'silver'") == []              # silver may use it paid; a gift is any mode
    assert load_errors("arpu >= 50") == []                    # no tier named: left to check
    assert load_errors("tier == 'ordinary'", mode="trial",
                       grant="      grant: {service: airport-lounge, mode: trial}") == []
