"""A synthetic marketing loop with planted effects, to check that the report measures what is there.

Offer ``offer-x`` (a guarantee with a bill credit) raises each taker's ARPU by ``effect_x`` yuan a
month from the month they take it up; ``offer-y`` (a data pack) raises nothing. Everyone's spend
also moves by ``trend`` from the campaign's month on (the market, not the offers). Everything else
is noise: each customer's spend is their own level plus a monthly wobble, the same for contacted
and held out. The report's interval for offer-x per taker should hold ``effect_x`` and not 0, and
offer-y's should hold 0.

>>> from marketing_rules.campaign import simulate as sim            # doctest: +SKIP
>>> paths = sim.write_inputs("sim/", 200_000)                          # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from marketing_rules.campaign.run import CHANNELS
from marketing_rules.campaign.store import Store

AT = dt.date(2027, 1, 5)
RULESET = """\
ruleset: loop-sim
version: 1.0.0
effective: {from: 2026-01-01}
title: 营销循环模拟 (planted effects)
campaign:
  holdout: 10%
  score: arpu_3m
  channel: sms
  lock_in: {months: 12, when: "bundle == 'hard'"}
rules:
  - id: offer-x
    title: 保底送话费
    priority: 10
    when: arpu_3m >= 60
    then:
      offer:
        code: 1-1-2-1
        requires: [{guarantee: {monthly: 58, months: 12}}]
        rewards: [{bill_credit: {amount: 60, months: 6}}]
  - id: offer-y
    title: 流量包
    when: arpu_3m >= 30
    then:
      offer:
        code: 1-1-4-4
        rewards: [{data_mb: {amount: 1024, months: 3, cost: 6}}]
"""


@dataclasses.dataclass(frozen=True)
class Inputs:
    ruleset: Path
    customers: Path
    n: int
    seed: int


def _ids(n: int) -> Any:
    import numpy as np

    return np.char.add("c", np.char.zfill(np.arange(n).astype(str), 8))


def _levels(n: int, seed: int) -> Any:
    """Each customer's own level of spend, voice and data (the same in every month but for noise)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    arpu = np.round(rng.lognormal(np.log(60), 0.6, n), 2)
    voice = rng.poisson(np.maximum(arpu * 3, 1)).astype(np.int64)
    data = np.round(rng.gamma(2.0, arpu * 20), 1)
    return arpu, voice, data


def write_inputs(folder: str | Path, n: int, *, seed: int = 13) -> Inputs:
    """The simulation's rule file and ``n`` customers (Parquet) in ``folder``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rules = folder / "loop-sim" / "1.0.0.yaml"
    rules.parent.mkdir(exist_ok=True)
    rules.write_text(RULESET, encoding="utf-8")
    rng = np.random.default_rng(seed + 1)
    arpu, voice, data = _levels(n, seed)
    segments = np.array(["general", "migrant", "enterprise", "campus"])
    bundles = np.array(["none", "soft", "hard"])
    table = pa.table({
        "id": pa.array(_ids(n)), "arpu_3m": arpu, "arpu": arpu, "voice_min": voice, "data_mb": data,
        "segment": pa.array(segments[rng.choice(4, n, p=[0.55, 0.2, 0.15, 0.1])]),
        "bundle": pa.array(bundles[rng.choice(3, n, p=[0.6, 0.25, 0.15])]),
        "status": pa.array(np.full(n, "active")),
    })
    customers = folder / "customers.parquet"
    pq.write_table(table, customers)
    return Inputs(rules, customers, n, seed)


def write_outcomes(store: Store, campaign: str, path: str | Path, *, take_up: dict[str, float] | None = None,
                   held_out_take_up: float = 0.01, seed: int = 13, at: dt.date = AT) -> Path:
    """Uptakes of the campaign's offers: each contacted customer takes the offer with the offer's
    probability (a held-out one, rarely, on their own), on a day of the campaign's month, through
    a channel drawn at random."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    take_up = take_up or {"offer-x": 0.3, "offer-y": 0.25}
    chosen = store.con.sql("SELECT id, offer, held_out FROM recommendations WHERE campaign = ? ORDER BY id",
                           params=[campaign]).to_arrow_table()
    rng = np.random.default_rng(seed + 2)
    offers = chosen["offer"].to_numpy(zero_copy_only=False)
    held = chosen["held_out"].to_numpy(zero_copy_only=False)
    p = np.array([take_up.get(o, 0.0) for o in offers]) if len(offers) else np.zeros(0)
    p = np.where(held, held_out_take_up, p)
    took = rng.random(len(offers)) < p
    days = rng.integers(0, 20, int(took.sum()))
    handled = np.datetime64(at) + days.astype("timedelta64[D]") + np.timedelta64(10, "h")
    table = pa.table({"id": chosen["id"].filter(pa.array(took)), "offer": pa.array(offers[took]),
                      "handled_at": pa.array(handled.astype("datetime64[s]").astype(str)),
                      "channel": pa.array(np.array(CHANNELS)[rng.choice(4, int(took.sum()), p=[0.3, 0.4, 0.2, 0.1])])})
    pq.write_table(table, path)
    return Path(path)


def write_billing(inputs: Inputs, outcomes: str | Path, path: str | Path, *, effect_x: float = 20.0,
                  effect_y: float = 0.0, trend: float = 5.0, months_before: int = 3, months_after: int = 3,
                  at: dt.date = AT) -> Path:
    """Monthly billing of every customer, ``months_before`` the campaign's month and ``months_after``
    from it; a taker of offer-x (in the ``outcomes`` file) gains ``effect_x`` yuan a month from the
    month they took it. Everyone's spend moves by ``trend`` yuan from the campaign's month (a change
    of the whole market, which comparing with the hold-out takes out)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = inputs.n
    arpu, voice, data = _levels(n, inputs.seed)
    gain = np.zeros(n)
    takers = pq.read_table(outcomes, columns=["id", "offer"])
    index = np.char.lstrip(takers["id"].to_numpy(zero_copy_only=False).astype(str), "c").astype(np.int64) \
        if takers.num_rows else np.zeros(0, np.int64)
    offers = takers["offer"].to_numpy(zero_copy_only=False)
    gain[index] = np.where(offers == "offer-x", effect_x, np.where(offers == "offer-y", effect_y, 0.0))
    ids = pa.array(_ids(n))
    rng = np.random.default_rng(inputs.seed + 3)
    first = dt.date(at.year, at.month, 1)
    with pq.ParquetWriter(str(path), pa.schema([("id", pa.string()), ("month", pa.string()), ("arpu", pa.float64()),
                                                 ("voice_min", pa.int64()), ("data_mb", pa.float64())])) as writer:
        for offset in range(-months_before, months_after):
            year, month = divmod(first.month - 1 + offset, 12)
            label = f"{first.year + year:04d}-{month + 1:02d}"
            spend = np.maximum(arpu + rng.normal(0, 8, n) + (gain + trend if offset >= 0 else 0), 0).round(2)
            minutes = np.maximum(voice + rng.normal(0, 20, n), 0).round().astype(np.int64)
            mb = np.maximum(data + rng.normal(0, 100, n), 0).round(1)
            writer.write_table(pa.table({"id": ids, "month": pa.array(np.full(n, label)), "arpu": spend,
                                         "voice_min": minutes, "data_mb": mb}))
    return Path(path)
