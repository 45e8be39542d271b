"""A synthetic city of telecom customers in Parquet, vectorized (numpy), for the batch benchmark.

A simpler shape than marketing_rules.synthetic (which follows plan 001's tables 2.2-2.8): the
segments and bundling of that city's choices, spend bands with a high-value tail, cards that follow
spend, tenure and usage trends, drawn column by column in chunks of 500,000 so that 6.4 million
customers take seconds, not minutes. Every fact of the telecom-customer schema is present, plus
care_done (stock-ops's own input) and self_subscribed (experience-club's); values are in range (no
rejected rows).

    python bench/city.py 6400000 bench/.cache/city-6400000.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 500_000


def _pick(rng: np.random.Generator, values: list[str], weights: list[float], n: int) -> np.ndarray:
    p = np.array(weights, dtype=float)
    return np.array(values, dtype=object)[rng.choice(len(values), size=n, p=p / p.sum())]


def chunk(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    high = rng.random(n) < 0.1
    arpu_3m = np.where(high, rng.uniform(120, 900, n), rng.lognormal(np.log(60), 0.6, n))
    arpu_3m = np.round(np.minimum(arpu_3m, 2000.0), 2)
    trend = rng.random(n)
    factor = np.where(trend < 0.7, rng.uniform(0.95, 1.05, n),
                      np.where(trend < 0.85, rng.uniform(0.5, 0.85, n), rng.uniform(1.2, 1.6, n)))
    arpu_prev = np.round(arpu_3m * rng.uniform(0.9, 1.1, n), 2)
    arpu = np.round(arpu_prev * factor, 2)
    voice_prev = rng.lognormal(np.log(250), 0.9, n).astype(np.int64)
    data_prev = np.round(rng.lognormal(np.log(2000), 1.1, n), 1)
    card = np.where(arpu_3m >= 300, _pick(rng, ["diamond", "gold", "silver", "none"], [35, 35, 20, 10], n),
                    np.where(arpu_3m >= 120, _pick(rng, ["gold", "silver", "none"], [20, 40, 40], n),
                             _pick(rng, ["silver", "none"], [5, 95], n)))
    packages = ["basic-38", "gotone-88", "gotone-128", "gotone-188", "gotone-288"]
    which = rng.choice(5, size=n, p=np.array([30, 25, 20, 15, 10]) / 100)
    vas_types = np.minimum(12, rng.exponential(1 / 0.6, n).astype(np.int64))
    columns = {
        "id": pa.array([f"139{i:08d}" for i in range(start, start + n)]),
        "arpu": arpu, "arpu_prev": arpu_prev, "arpu_3m": arpu_3m,
        "voice_min": (voice_prev * factor).astype(np.int64), "voice_min_prev": voice_prev,
        "data_mb": np.round(data_prev * rng.uniform(0.6, 1.4, n), 1), "data_mb_prev": data_prev,
        "sms": rng.exponential(40, n).astype(np.int64),
        "tenure_months": np.minimum(300, rng.exponential(45, n).astype(np.int64)),
        "package": np.array(packages, dtype=object)[which],
        "package_fee": np.array([38.0, 88.0, 128.0, 188.0, 288.0])[which],
        "card": card,
        "brand": _pick(rng, ["gotone", "mzone", "easyown"], [30, 30, 40], n),
        "segment": _pick(rng, ["general", "migrant", "enterprise", "campus"], [50, 20, 15, 15], n),
        "bundle": _pick(rng, ["none", "soft", "hard"], [60, 25, 15], n),
        "terminal": _pick(rng, ["2g", "3g", "4g", "5g"], [5, 10, 55, 30], n),
        "vas_types": vas_types,
        "vas_subscriptions": np.minimum(vas_types, rng.exponential(1 / 0.8, n).astype(np.int64)),
        "vas_arpu": np.where(vas_types > 0, np.round(rng.exponential(8, n), 2), 0.0),
        "uses_data": data_prev > 0,
        "uses_mms": rng.random(n) < 0.3,
        "status": _pick(rng, ["active", "suspended", "pre_cancel"], [92, 5, 3], n),
        "balance": np.round(rng.uniform(-20, 300, n), 2),
        "birthday_month": rng.integers(1, 13, n),
        "club_level": _pick(rng, ["none", "ordinary", "platinum", "diamond"], [70, 20, 8, 2], n),
        "care_done": np.where(rng.random(n) < 0.8, 0, rng.integers(0, 4, n)),
    }
    columns["self_subscribed"] = (columns["vas_subscriptions"] > 0) & (rng.random(n) < 0.5)
    return pa.table({k: pa.array(v) if not isinstance(v, pa.Array) else v for k, v in columns.items()})


def write_city(n: int, path: str | Path, seed: int = 2026) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    writer = None
    for start in range(0, n, CHUNK):
        table = chunk(rng, start, min(CHUNK, n - start))
        writer = writer or pq.ParquetWriter(tmp, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=125_000)
    assert writer is not None
    writer.close()
    tmp.replace(path)
    return path


if __name__ == "__main__":
    write_city(int(sys.argv[1]), sys.argv[2])
