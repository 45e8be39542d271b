"""A customer asks why they were refused an offer: the agent's view.

Explanations show each condition with the values the engine saw (true, false or unknown when a
fact is missing), which rule of an exclusive group won instead, and what change of the customer's
numbers would qualify them.

    python examples/why_not.py
"""

from __future__ import annotations

from pathlib import Path

import marketing_rules as mr

rs = mr.load_ruleset(Path(__file__).resolve().parent.parent / "rulesets" / "gotone-vip" / "1.0.0.yaml")

customers = {
    "spends a little too little": {"id": "13900000101", "card": "none", "arpu_3m": 110.0, "status": "active"},
    "a rule of the same group won": {"id": "13900000102", "card": "silver", "arpu_3m": 160.0, "status": "active",
                                     "package_fee": 128},
    "a fact is missing": {"id": "13900000103", "card": "silver", "arpu_3m": 140.0},
}

for story, customer in customers.items():
    print(f"== {story}")
    print(rs.explain(customer, "prestore-lecture"))
    print("what would it take:", rs.what_would_it_take(customer, "prestore-lecture"))
    print()

print("== the tier table, row by row")
print(rs.explain(customers["spends a little too little"], "tier-by-card-and-arpu"))
