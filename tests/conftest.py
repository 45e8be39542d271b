from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

import marketing_rules as mr

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def ruleset_from(text: str, name: str = "test.yaml") -> mr.Ruleset:
    """Load a rule file written inline in a test (dedented)."""
    return mr.load_ruleset(name, text=textwrap.dedent(text))


def load_errors(text: str, name: str = "test.yaml") -> mr.RulesetError:
    with pytest.raises(mr.RulesetError) as caught:
        ruleset_from(text, name)
    return caught.value


@pytest.fixture(scope="session")
def gotone_vip() -> mr.Ruleset:
    return mr.load_ruleset(ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml")


def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local SparkSession for the whole run (tests marked ``spark``)."""
    if not spark_available():
        pytest.skip("pyspark and a Java runtime are needed for the Spark backend")
    from marketing_rules.batch.spark_backend import local_session

    session = local_session("2g")
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(autouse=True)
def _messages_in_english_after_each_test() -> Any:
    """A command run in a test with ``--lang zh`` sets the language of its thread; the next test
    starts from the environment again."""
    from marketing_rules.i18n import set_language

    yield
    set_language(None)
