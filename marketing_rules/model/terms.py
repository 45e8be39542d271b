"""The words of the rule format: kinds of requirement and reward with their parameters, offer and
access modes. The resolver checks rule files against them and the JSON Schema lists them."""

from __future__ import annotations

# kind -> (the parameter a scalar stands for, {parameter: 'number' | 'text' | 'package' | 'service'})
REQUIREMENTS: dict[str, tuple[str | None, dict[str, str]]] = {
    "prestore": ("amount", {"amount": "number"}),
    "guarantee": (None, {"monthly": "number", "months": "number"}),
    "upgrade": ("to", {"to": "package"}),
    "tenure": ("months", {"months": "number"}),
    "business": ("name", {"name": "text"}),
}
REWARDS: dict[str, tuple[str | None, dict[str, str]]] = {
    "bill_credit": ("amount", {"amount": "number", "months": "number"}),
    "voice_minutes": ("amount", {"amount": "number", "months": "number"}),
    "data_mb": ("amount", {"amount": "number", "months": "number"}),
    "goods": ("name", {"name": "text", "value": "number"}),
    "voucher": ("amount", {"amount": "number", "merchant": "text"}),
    "points": ("amount", {"amount": "number"}),
    "handset": ("model", {"model": "text", "subsidy": "number"}),
    "vas": ("name", {"name": "text", "months": "number"}),
    "service": ("service", {"service": "service", "months": "number"}),
}
REQUIRED_PARAMS = {"guarantee": ("monthly", "months")}
OFFER_KEYS = {"requires", "rewards", "code", "mode", "type", "title"}
OFFER_MODES = ("gift", "discount", "lottery", "trial")
OFFER_TYPES = ("uplift", "retention", "care")
SERVICE_CLASSES = ("restricted", "semi-open", "open")
ACCESS_MODES = ("free", "paid", "prestore", "trial")
MODE_TERMS = {"paid": ("price",), "prestore": ("prestore",), "trial": ("trial_days",), "free": ()}
