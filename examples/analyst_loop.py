"""An analyst's edit-test-check loop, as the command line runs it.

1. Copy the shipped gotone-vip ruleset into a working folder as a new version.
2. Add a rule with a typo: validate reports it with file, line, column and a hint.
3. Fix it, add a scenario for it, and run the scenarios with rule coverage.
4. Compare the new version with the released one on synthetic customers.

    python examples/analyst_loop.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent / "rulesets" / "gotone-vip"

NEW_RULE = """
  - id: lounge-for-frequent-flyers
    title: 高端客户机场贵宾厅体验
    when:
      all:
        - tier == silver
        - tenur_months >= 24
    then:
      grant: {service: airport-lounge, mode: trial}
      tag: lounge-trial
"""
SCENARIO = """
  - name: a long-standing silver customer may try the airport lounge
    given: {id: "13900000777", card: silver, arpu_3m: 130, tenure_months: 30, status: active}
    expect:
      tags: [lounge-trial]
      access: {airport-lounge: trial}
"""


def cli(*args: str) -> int:
    print("$ marketing-rules", " ".join(args))
    result = subprocess.run([sys.executable, "-m", "marketing_rules.cli", *args], capture_output=True, text=True)
    print(result.stdout + result.stderr)
    return result.returncode


with tempfile.TemporaryDirectory() as work:
    folder = Path(work) / "gotone-vip"
    folder.mkdir()
    shutil.copy(SHIPPED / "1.0.0.yaml", folder / "1.0.0.yaml")
    draft = (SHIPPED / "1.0.0.yaml").read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.1.0")
    rules_end = draft.index("\nservices:")
    draft = draft[:rules_end] + NEW_RULE + draft[rules_end:]
    (folder / "1.1.0.yaml").write_text(draft, encoding="utf-8")

    assert cli("validate", str(folder / "1.1.0.yaml")) == 1  # the typo: tenur_months

    (folder / "1.1.0.yaml").write_text(draft.replace("tenur_months", "tenure_months"), encoding="utf-8")
    assert cli("validate", str(folder / "1.1.0.yaml")) == 0
    scenarios = (SHIPPED / "1.0.0.test.yaml").read_text(encoding="utf-8") + SCENARIO
    (folder / "1.1.0.test.yaml").write_text(scenarios, encoding="utf-8")
    assert cli("test", str(folder / "1.1.0.test.yaml")) == 0
    assert cli("diff", str(folder / "1.0.0.yaml"), str(folder / "1.1.0.yaml"), "--city", "5000") == 0
