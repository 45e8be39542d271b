"""The marketing loop (plan 001, section 4): campaigns that recommend with hold-outs, budgets and
caps, uptake and billing imports, uplift measured against the hold-out, and customer tags.

A campaign is a layer after deciding: the ruleset's decisions keep their meaning; the campaign
chooses whom of the eligible to contact and records it in a DuckDB store (docs/campaigns.md).

>>> from marketing_rules import campaign                                       # doctest: +SKIP
>>> campaign.run_campaign("rulesets/x/1.0.0.yaml", "customers.parquet", at=date(2027, 1, 5))  # doctest: +SKIP
"""

from marketing_rules.campaign.outcomes import ImportSummary, import_billing, import_outcomes
from marketing_rules.campaign.report import campaign_report
from marketing_rules.campaign.report_html import render_html
from marketing_rules.campaign.run import CampaignError, RunSummary, run_campaign
from marketing_rules.campaign.select import holdout_bucket
from marketing_rules.campaign.store import Store
from marketing_rules.campaign.tags import customer_tags

__all__ = ["CampaignError", "ImportSummary", "RunSummary", "Store", "campaign_report", "customer_tags",
           "holdout_bucket", "import_billing", "import_outcomes", "render_html", "run_campaign"]
