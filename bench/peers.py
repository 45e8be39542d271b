"""Peer rule engines running the shared peer workload (ruleset A tiers + ruleset B 20 offers).

Every engine is built from the workload's own data (W.TIERING, W.OFFERS), never from a hand copy,
and returns, per customer, ``(tier, frozenset(offer_ids))`` with the workload's offer ids, so its
decisions can be checked with ``W.compare``.

Each engine is a class with a setup / teardown split so that only per-customer evaluation is timed:

    eng = ENGINES["zen"]()
    eng.setup()                        # build / compile the rules          (not timed)
    inputs = eng.prepare(customers)    # engine-specific input objects      (not timed)
    results = eng.evaluate(inputs)     # one call per customer              (timed)
    eng.teardown()

and ``run_<engine>(customers)`` does all four for one-off use:
run_zen, run_durable, run_python, run_marketing_rules.

Engines whose package is missing report it through ``available()`` instead of failing at import.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
if str(REPO_ROOT) not in sys.path:  # marketing_rules from the work tree if not installed
    sys.path.insert(1, str(REPO_ROOT))

from workload import W  # noqa: E402  (the shared workload, see workload.py)

RULESET_PATH = BENCH_DIR / "rulesets" / "peer-workload" / "1.0.0.yaml"

# our rule ids (o01-loyal-upgrade) <-> the workload's offer ids (O01_loyal_upgrade)
MR_RULE_ID = {oid: oid.lower().replace("_", "-") for oid in W.OFFER_IDS}
OFFER_ID_OF_RULE = {rid: oid for oid, rid in MR_RULE_ID.items()}


def _dist_version(dist: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


class Engine:
    key = ""  # command-line name
    label = ""  # display name
    dist = None  # PyPI distribution, for the version
    how = ""  # how it is called, for the report

    def available(self) -> tuple[bool, str]:
        return True, ""

    def version(self) -> str | None:
        return _dist_version(self.dist) if self.dist else None

    def setup(self) -> None:
        pass

    def prepare(self, customers: list[dict]) -> list:
        return customers

    def evaluate(self, inputs: list) -> list[tuple[str, frozenset]]:
        raise NotImplementedError

    def teardown(self) -> None:
        pass

    def run(self, customers: list[dict]) -> list[tuple[str, frozenset]]:
        self.setup()
        try:
            return self.evaluate(self.prepare(customers))
        finally:
            self.teardown()


# ----------------------------------------------------------------- zen-engine (GoRules) ---


def _zen_literal(v) -> str:
    return json.dumps(v) if isinstance(v, str) else repr(v)


def _zen_cell(conds) -> str:
    """Unary-test cell for the conditions of one row on one column ('' = any).

    Plain unary tests where zen has one (">= 120", '"campus"', '"a", "b"', 'not in [...]');
    '$' expressions for cross-field references and for several conditions on one column.
    Note: zen has no 'not(...)' unary test (it is a runtime error, and a cell that errors silently
    does not match), so 'not in' is written as 'not in [...]'.
    """

    def unary(op, v):
        if isinstance(v, W.Ref):
            return None
        if op in ("in",):
            return ", ".join(_zen_literal(x) for x in v)
        if op == "not in":
            return "not in [" + ", ".join(_zen_literal(x) for x in v) + "]"
        if op == "==":
            return _zen_literal(v)
        return f"{op} {_zen_literal(v)}"

    def expr(op, v):
        if isinstance(v, W.Ref):
            return f"$ {op} {v.field} * {v.factor!r}"
        if op in ("in", "not in"):
            return f"$ {op} [" + ", ".join(_zen_literal(x) for x in v) + "]"
        return f"$ {op} {_zen_literal(v)}"

    if not conds:
        return ""
    if len(conds) == 2 and not any(isinstance(v, (W.Ref, str, tuple)) for _, v in conds):
        lo = [(op, v) for op, v in conds if op in (">=", ">")]
        hi = [(op, v) for op, v in conds if op in ("<=", "<")]
        if len(lo) == 1 and len(hi) == 1:  # an interval: [80..300], (0..10], ...
            (lop, lv), (hop, hv) = lo[0], hi[0]
            return f"{'[' if lop == '>=' else '('}{lv!r}..{hv!r}{']' if hop == '<=' else ')'}"
    if len(conds) == 1:
        op, v = conds[0]
        u = unary(op, v)
        if u is not None:
            return u
    return " and ".join(expr(op, v) for op, v in conds)


def _zen_table(node_id, hit, rows, output_field, output_path=None):
    """rows: [(conditions, output value)] -> decisionTableNode content."""
    fields = []
    for conds, _ in rows:
        for f, _, _ in conds:
            if f not in fields:
                fields.append(f)
    inputs = [{"id": f"{node_id}-in-{f}", "name": f, "field": f} for f in fields]
    out_id = f"{node_id}-out"
    rules = []
    for i, (conds, value) in enumerate(rows):
        rule = {"_id": f"{node_id}-r{i}"}
        for f in fields:
            rule[f"{node_id}-in-{f}"] = _zen_cell([(op, v) for ff, op, v in conds if ff == f])
        rule[out_id] = _zen_literal(value)
        rules.append(rule)
    content = {
        "hitPolicy": hit,
        "inputs": inputs,
        "outputs": [{"id": out_id, "name": output_field, "field": output_field}],
        "rules": rules,
    }
    if output_path:
        content["outputPath"] = output_path
    return {
        "id": node_id,
        "type": "decisionTableNode",
        "name": node_id,
        "position": {"x": 400, "y": 0},
        "content": content,
    }


def zen_jdm() -> dict:
    """The workload as a GoRules JDM graph: input -> {tier table (first), offer table (collect)} -> output.

    Result: {"tier": "gold", "offers": [{"id": "O01_loyal_upgrade"}, ...]}.
    """

    def node(i, t):
        return {"id": i, "type": t, "name": i, "position": {"x": 0, "y": 0}}

    tier = _zen_table("tiers", "first", W.TIERING, "tier")
    offers = _zen_table("offers", "collect", [(conds, oid) for oid, conds in W.OFFERS], "id", output_path="offers")
    edges = [("request", "tiers"), ("request", "offers"), ("tiers", "response"), ("offers", "response")]
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [node("request", "inputNode"), tier, offers, node("response", "outputNode")],
        "edges": [{"id": f"e{i}", "type": "edge", "sourceId": s, "targetId": t} for i, (s, t) in enumerate(edges)],
    }


class Zen(Engine):
    key, label, dist = "zen", "zen-engine", "zen-engine"
    how = "`ZenEngine.evaluate(key, dict)`, static loader (JDM: first-hit tier table + collect offer table)"
    KEY = "peer-workload.json"

    def available(self):
        try:
            import zen  # noqa: F401

            return True, ""
        except ImportError as e:
            return False, f"zen-engine not installed ({e}); pip install -r bench/requirements.txt"

    def setup(self):
        import zen

        # A static loader + ZenEngine.evaluate(key, ...) is the fast path: in zen-engine 2.1.3 a
        # ZenDecision (create_decision / get_decision) evaluates 10-15x slower per call, and a
        # Python loader callback is called on every evaluate (see bench/NOTES-peers.md).
        self.engine = zen.ZenEngine({"loader": {"type": "static", "content": {self.KEY: zen_jdm()}}})
        self.engine.evaluate(self.KEY, {})  # load and compile now, not in the timed loop

    def evaluate(self, inputs):
        ev, key = self.engine.evaluate, self.KEY
        out = []
        append = out.append
        for c in inputs:
            r = ev(key, c)["result"]
            append((r["tier"], frozenset([o["id"] for o in r["offers"]])))
        return out

    def teardown(self):
        self.engine = None


# ------------------------------------------------------------------------ durable_rules ---

_NEGATE = {">=": "<", ">": "<=", "<": ">=", "<=": ">", "==": "!=", "!=": "==", "in": "not in", "not in": "in"}
_run_counter = itertools.count()


def _dr_cond(m, cond):
    """One workload condition as a durable_rules expression (no 'in' operator: == joined by |)."""
    f, op, v = cond
    lhs = getattr(m, f)
    if isinstance(v, W.Ref):
        v = getattr(m, v.field) * v.factor
    if op == "in":
        e = None
        for x in v:
            e = (lhs == x) if e is None else (e | (lhs == x))
        return e
    if op == "not in":
        e = None
        for x in v:
            e = (lhs != x) if e is None else (e & (lhs != x))
        return e
    return {
        ">=": lambda: lhs >= v,
        ">": lambda: lhs > v,
        "<": lambda: lhs < v,
        "<=": lambda: lhs <= v,
        "==": lambda: lhs == v,
        "!=": lambda: lhs != v,
    }[op]()


def _dr_all(m, conds):
    e = None
    for c in conds:
        x = _dr_cond(m, c)
        e = x if e is None else (e & x)
    return e


def _dr_any(m, conds):
    e = None
    for c in conds:
        x = _dr_cond(m, c)
        e = x if e is None else (e | x)
    return e


def exclusive_tiers(tiering):
    """A first-hit table as mutually exclusive rules: row i = its conditions and no earlier row.

    durable_rules fires every matching rule, so "first hit" must be spelled out. Returns
    [(positive conditions, [negated earlier rows])], where a negated row is a list of negated
    conditions of which at least one must hold (De Morgan on the row's conjunction).
    """
    out = []
    for i, (conds, value) in enumerate(tiering):
        earlier = [[(f, _NEGATE[op], v) for f, op, v in prev] for prev, _ in tiering[:i]]
        out.append((conds, earlier, value))
    return out


class Durable(Engine):
    key, label, dist = "durable", "durable-rules", "durable-rules"
    how = "`assert_fact` + `retract_fact` per customer (tiers as exclusive rules)"

    def available(self):
        try:
            import durable.lang  # noqa: F401

            return True, ""
        except ImportError as e:
            return False, f"durable-rules not installed ({e}); pip install -r bench/requirements.txt"

    def setup(self):
        from durable.lang import get_host, m, ruleset, when_all

        # durable_rules keeps every ruleset in one global host: a fresh name per run.
        self.name = f"peer_workload_{os.getpid()}_{next(_run_counter)}"
        slot = self.slot = [None, []]  # actions run synchronously inside assert_fact

        def tier_action(value):
            def action(c):
                slot[0] = value

            return action

        def offer_action(oid):
            def action(c):
                slot[1].append(oid)

            return action

        matches_everything = False
        with ruleset(self.name):
            for conds, earlier, value in exclusive_tiers(W.TIERING):
                parts = [e for e in [_dr_all(m, conds)] + [_dr_any(m, neg) for neg in earlier] if e is not None]
                if not parts:
                    expr = +m.arpu  # unconditional row; note: +m.id loops forever
                else:
                    expr = parts[0]
                    for p in parts[1:]:
                        expr = expr & p
                matches_everything = matches_everything or not conds
                when_all(expr)(tier_action(value))
            for oid, conds in W.OFFERS:
                when_all(_dr_all(m, conds))(offer_action(oid))
            if not matches_everything:
                # durable_rules raises MessageNotHandledException for a fact that matches no rule.
                # The workload's tier table ends with a catch-all row, whose exclusive rule
                # ("no earlier tier") is itself a catch-all; otherwise add a no-op one.
                when_all(+m.arpu)(lambda c: None)
        self.host = get_host()  # registers (compiles) the ruleset: not timed

    def prepare(self, customers):
        return [dict(c) for c in customers]  # the engine never sees the caller's dicts

    def evaluate(self, inputs):
        from durable.lang import assert_fact, retract_fact

        name, slot = self.name, self.slot
        out = []
        append = out.append
        for c in inputs:
            slot[0] = None
            offers = slot[1] = []
            assert_fact(name, c)
            retract_fact(name, c)
            append((slot[0], frozenset(offers)))
        return out

    def teardown(self):
        try:
            from durable.lang import delete_state

            delete_state(self.name)
        except Exception:
            pass


# ----------------------------------------------------------------------- plain Python ---


def python_source() -> str:
    """The whole workload as one generated Python function (the floor)."""
    used = []
    for conds in [c for c, _ in W.TIERING] + [c for _, c in W.OFFERS]:
        for f, _, v in conds:
            for name in (f, v.field if isinstance(v, W.Ref) else None):
                if name and name not in used:
                    used.append(name)

    def cond(f, op, v):
        if isinstance(v, W.Ref):
            rhs = f"{v.field} * {v.factor!r}"
        elif op in ("in", "not in"):
            rhs = repr(tuple(v))  # constant tuple: compiled to a frozenset constant
        else:
            rhs = repr(v)
        return f"{f} {op} {rhs}"

    def conj(conds):
        return " and ".join(cond(*c) for c in conds) or "True"

    lines = ["def decide(c):"]
    lines += [f"    {f} = c[{f!r}]" for f in used]
    for i, (conds, value) in enumerate(W.TIERING):
        if not conds:  # catch-all row: nothing after it can hit
            lines.append("    else:" if i else "    if True:")
            lines.append(f"        tier = {value!r}")
            break
        lines.append(f"    {'if' if i == 0 else 'elif'} {conj(conds)}:")
        lines.append(f"        tier = {value!r}")
    else:
        lines.append("    else:")
        lines.append("        tier = None")
    lines.append("    o = []")
    for oid, conds in W.OFFERS:
        lines.append(f"    if {conj(conds)}:")
        lines.append(f"        o.append({oid!r})")
    lines.append("    return tier, frozenset(o)")
    return "\n".join(lines) + "\n"


class Python(Engine):
    key, label = "python", "plain Python (one generated function)"
    how = "the whole workload as one generated function"

    def version(self):
        return sys.version.split()[0]

    def setup(self):
        ns = {}
        exec(compile(python_source(), "<peer-workload>", "exec"), ns)
        self.decide = ns["decide"]

    def evaluate(self, inputs):
        decide = self.decide
        return [decide(c) for c in inputs]


# ---------------------------------------------------------------------- marketing_rules ---


class MarketingRules(Engine):
    key, label, dist = "mr", "marketing_rules", "marketing-rules"
    how = "`rs.evaluate(dict)` per customer"

    def available(self):
        try:
            import marketing_rules as mr
        except Exception as e:  # a broken install is reported, not fatal
            return False, f"import marketing_rules failed: {type(e).__name__}: {e}"
        if not callable(getattr(mr, "load_ruleset", None)):
            return False, "marketing_rules has no load_ruleset() yet"
        return True, ""

    def version(self):
        try:
            import marketing_rules as mr

            return getattr(mr, "__version__", None) or _dist_version(self.dist)
        except Exception:
            return None

    def setup(self):
        import marketing_rules as mr

        self.rs = mr.load_ruleset(str(RULESET_PATH))

    def prepare(self, customers):
        # the telecom-customer schema types `id` as a string
        return [dict(c, id=str(c["id"])) for c in customers]

    def evaluate(self, inputs):
        ev = self.rs.evaluate
        back = OFFER_ID_OF_RULE.get
        out = []
        append = out.append
        for c in inputs:
            d = ev(c)
            append((d.facts["tier"], frozenset([back(o.id, o.id) for o in d.offers])))
        return out

    def teardown(self):
        self.rs = None


# ------------------------------------------------------------------------------ index ---

ENGINES = {e.key: e for e in (Zen, Durable, Python, MarketingRules)}
ALIASES = {
    "zen-engine": "zen",
    "durable-rules": "durable",
    "durable_rules": "durable",
    "plain": "python",
    "py": "python",
    "marketing_rules": "mr",
    "marketing-rules": "mr",
}


def resolve(name: str) -> str:
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    if name not in ENGINES:
        raise KeyError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    return name


def run_zen(customers):
    return Zen().run(customers)


def run_durable(customers):
    return Durable().run(customers)


def run_python(customers):
    return Python().run(customers)


def run_marketing_rules(customers):
    return MarketingRules().run(customers)


if __name__ == "__main__":  # quick self-check on a few customers
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    cs = W.make_customers(n)
    for key, cls in ENGINES.items():
        ok, why = cls().available()
        if not ok:
            print(f"{key:8s} skipped: {why}")
            continue
        r = W.compare(cs, cls().run(cs))
        print(f"{key:8s} checked {r['checked']} mismatches {r['mismatches']}")
        for ex in r["examples"][:2]:
            print("   ", ex)
