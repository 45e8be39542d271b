"""One z3 solver per part of a ruleset, asked many questions: the checker's solving.

The encoding is asserted once per solver; each question's goal is guarded by a fresh literal
(``literal -> goal``) and asked as a check under that literal (and, for questions about decided
customers, the literal that says so), then retired. What the solver learns about the shared
formulas serves every later question. Questions are asked in batches: "does any of these goals
hold?"; a model answers every goal it satisfies (the same witness for each), and "unsat" proves
every goal left at once. A goal the shared solver leaves unknown within its time is asked again
alone, of a fresh solver holding only what it needs, as the checker always did: no answer is worse
than a question solved alone.

Questions are grouped by the definitions they need (the tables whose variables their formulas
mention, and the tables those read): each group has its own solver, holding the input constraints
and those definitions only (and the unique tables': most questions are about decided customers).
Rules that cannot interact (no shared group, no derived fact between them) thus never share a
solver unless they read the same tables.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from marketing_rules.analysis.program import Table
from marketing_rules.analysis.symbolic import Encoding
from marketing_rules.i18n import _

BATCH = 256  # goals asked together at most
#: Rulesets of at most this many rules and table rows get, for each finding, the witness a solver
#: asked that question alone finds (the checker's witnesses before it shared a solver); larger ones
#: the shared solver's model, which the checker confirms by evaluating it like any witness.
EXACT_WITNESSES = 150


@dataclass(eq=False)
class Question:
    """A goal to satisfy, and then its answer: ``status`` is sat, unsat or unknown."""

    goal: Sequence[Any]
    decided: bool = True  # only among customers whose evaluation is no error
    wants_witness: bool = True  # False: only whether the goal can hold
    status: str = ""
    witness: dict[str, Any] | None = None
    reason: str = ""

    def answer(self, status: str, witness: dict[str, Any] | None = None, reason: str = "") -> None:
        self.status, self.witness, self.reason = status, witness, reason


@dataclass
class Budget:
    """The run's deadline and each question's time."""

    seconds: float
    question_ms: int
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def left_ms(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)

    def over(self) -> bool:
        return time.monotonic() >= self.deadline

    def reason(self) -> str:
        return _("not decided within the check's budget of {seconds} s (raise it with --timeout)",
                 seconds=f"{self.seconds:g}")


class Progress:
    """Questions answered so far, on stderr at most once a second (for long runs)."""

    def __init__(self, label: str, enabled: bool):
        self.label, self.enabled = label, enabled
        self.started = self.shown = time.monotonic()
        self.done = 0
        self.phase = ""

    def step(self, phase: str, count: int = 1) -> None:
        self.done += count
        self.phase = phase
        now = time.monotonic()
        if self.enabled and now - self.shown >= 1.0:
            self.shown = now
            print(_("{label}: {count} questions answered ({phase}), {seconds} s", label=self.label, count=self.done,
                    phase=phase, seconds=f"{now - self.started:.0f}"), file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled:
            print(_("{label}: done, {count} questions in {seconds} s", label=self.label, count=self.done,
                    seconds=f"{time.monotonic() - self.started:.1f}"), file=sys.stderr, flush=True)


class Context:
    """One solver for one part: its background asserted once, goals asked under literals.

    Each question's formulas stay in the solver after it is answered (retired, but internalized);
    they slow every later question a little, so the solver is rebuilt every ``RECYCLE`` questions."""

    RECYCLE = 150

    def __init__(self, background: list[Any], decided: Any):
        self.background = [*background, z3.Implies(z3.Bool("decided#"), decided)]
        self.decided = z3.Bool("decided#")
        self._fresh = itertools.count()
        self.solver = self._new()

    def _new(self) -> z3.Solver:
        solver = z3.Solver()
        solver.add(*self.background)
        self.asked = 0
        return solver

    def check(self, goals: list[Sequence[Any]], decided: bool, timeout_ms: int,
              model: bool = True) -> tuple[Any, z3.ModelRef | None]:
        """Whether one of the goals holds (and a model if asked), under the decided literal if asked."""
        if self.asked >= self.RECYCLE:
            self.solver = self._new()
        self.asked += 1
        self.solver.set("timeout", max(1, timeout_ms))
        literal = z3.Bool(f"goal#{next(self._fresh)}")
        each = [goal[0] if len(goal) == 1 else z3.And(*goal) if goal else z3.BoolVal(True) for goal in goals]
        self.solver.add(z3.Implies(literal, each[0] if len(each) == 1 else z3.Or(*each)))
        result = self.solver.check(literal, *([self.decided] if decided else []))
        found = self.solver.model() if result == z3.sat and model else None
        self.solver.add(z3.Not(literal))
        return result, found


class Incremental:
    """Answers the checker's questions about one encoded ruleset."""

    def __init__(self, enc: Encoding, budget: Budget, progress: Progress):
        self.enc = enc
        self.budget = budget
        self.progress = progress
        self.decided = z3.Not(z3.Or(enc.undecided)) if enc.undecided else z3.BoolVal(True)
        unique = [t.id for t in enc.program.units if isinstance(t, Table) and t.hit == "unique"]
        self.always = enc.needs(*enc.undecided) | frozenset(unique)
        self.contexts: dict[frozenset[str], Context] = {}
        size = sum(len(u.rows) if isinstance(u, Table) else 1 for u in enc.program.units)
        self.exact = size <= EXACT_WITNESSES

    # -- asking ---------------------------------------------------------------------------------
    def ask(self, questions: Iterable[Question], phase: str) -> None:
        """Answer every question: batched per part and kind, alone when the batch is undecided."""
        pending = []
        for question in questions:
            unsupported = self.enc.unsupported_in(*question.goal)
            if unsupported:
                question.answer("unknown", reason=_("the checker cannot express {what}", what="; ".join(unsupported)))
                self.progress.step(phase)
            else:
                pending.append(question)
        batches: dict[tuple[frozenset[str], bool], list[Question]] = {}
        for question in pending:
            batches.setdefault((self.enc.needs(*question.goal), question.decided), []).append(question)
        for (needs, decided), group in batches.items():
            for start in range(0, len(group), BATCH):
                self._batch(self._context(needs), group[start:start + BATCH], decided, phase)

    def _batch(self, context: Context, questions: list[Question], decided: bool, phase: str) -> None:
        """Goals asked together ("does any of them hold?"): unsat proves them all at once, a model
        answers every goal it satisfies. Goals expected to hold (only whether they can: no witness)
        are asked together while a model answers several, then one by one; the others are split in
        halves until each half is proved or its goals answered."""
        if all(not q.wants_witness for q in questions):
            left = questions
            while len(left) > 1:
                answered = self._together(context, left, decided, phase)
                if answered is None or len(left) - len(answered) < 4:
                    left = answered if answered is not None else left
                    break
                left = answered
            for question in left:
                self._alone(context, question, decided)
                self.progress.step(phase)
            return
        self._split(context, questions, decided, phase)

    def _split(self, context: Context, questions: list[Question], decided: bool, phase: str) -> None:
        if len(questions) == 1:
            self._alone(context, questions[0], decided)
            self.progress.step(phase)
            return
        left = self._together(context, questions, decided, phase)
        if left is None:
            for question in questions:
                self._alone(context, question, decided)
                self.progress.step(phase)
            return
        half = len(left) // 2
        for part in (left[:half], left[half:]):
            if part:
                self._split(context, part, decided, phase)

    def _together(self, context: Context, questions: list[Question], decided: bool,
                  phase: str) -> list[Question] | None:
        """Ask whether any goal holds; answer what that settles, return the questions left (None when
        the solver cannot tell)."""
        if self.budget.over():
            return None
        result, model = context.check([q.goal for q in questions], decided, self._ms(), model=True)
        if result == z3.unsat:
            for question in questions:
                question.answer("unsat")
            self.progress.step(phase, len(questions))
            return []
        if model is None:
            return None
        witness = self.enc.customer(model)
        for question in questions:
            if _holds(model, question.goal):
                question.answer("sat", self._witness(question, witness))
                self.progress.step(phase)
        return [q for q in questions if not q.status]

    def _ms(self) -> int:
        return min(self.budget.question_ms, self.budget.left_ms())

    def _alone(self, context: Context, question: Question, decided: bool) -> None:
        """One goal: of the shared solver, then, if it cannot tell, of a fresh solver holding only it."""
        if self.budget.over():
            question.answer("unknown", reason=self.budget.reason())
            return
        result, model = context.check([question.goal], decided, self._ms(), model=question.wants_witness)
        why = ""
        if result == z3.unknown:
            result, model, why = self._fresh(question, decided)
        if result == z3.sat:
            question.answer("sat", self._witness(question, self.enc.customer(model)) if model is not None else None)
        elif result == z3.unsat:
            question.answer("unsat")
        elif self.budget.over():
            question.answer("unknown", reason=self.budget.reason())
        else:
            question.answer("unknown", reason=_("the solver could not decide ({why})", why=why))

    def _witness(self, question: Question, shared: dict[str, Any]) -> dict[str, Any]:
        """The witness of a satisfied goal: the one a solver asked it alone finds, on small rulesets."""
        if not self.exact or not question.wants_witness:
            return shared
        result, model, _why = self._fresh(question, question.decided)
        return self.enc.customer(model) if result == z3.sat and model is not None else shared

    def _fresh(self, question: Question, decided: bool) -> tuple[Any, z3.ModelRef | None, str]:
        left_ms = self.budget.left_ms()
        if left_ms <= 0:
            return z3.unknown, None, _("out of time")
        solver = z3.Solver()
        solver.set("timeout", min(self.budget.question_ms, left_ms))
        solver.add(*self.enc.background(self.enc.needs(*question.goal) | self.always), *question.goal)
        if decided:
            solver.add(self.decided)
        result = solver.check()
        return result, solver.model() if result == z3.sat else None, str(solver.reason_unknown())

    # -- contexts -------------------------------------------------------------------------------
    def _context(self, needs: frozenset[str]) -> Context:
        """The solver for questions needing these units' definitions (and the unique tables', for
        "decided"): units that cannot interact are never in the same solver."""
        context = self.contexts.get(needs)
        if context is None:
            context = self.contexts[needs] = Context(self.enc.background(needs | self.always), self.decided)
        return context


def _holds(model: z3.ModelRef, goal: Sequence[Any]) -> bool:
    return all(z3.is_true(model.eval(term, model_completion=True)) for term in goal)
