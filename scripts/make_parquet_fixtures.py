#!/usr/bin/env python3
"""Parquet copies of committed JSON-lines fixtures, written as Hugging Face `datasets` writes its Parquet
files (pyarrow, Snappy), for crates/substance-suite/tests/parquet.rs: importing the Parquet copy must
give the same suite as the JSON lines.

    python3 -m venv /tmp/venv-pq && /tmp/venv-pq/bin/pip install pyarrow
    /tmp/venv-pq/bin/python scripts/make_parquet_fixtures.py

Written with pyarrow 26.0.1: `algebra.parquet` (MATH-Hard rows: strings), `saladbench.parquet`
(lists of strings and of integers), `toxigen.parquet` (floats), `algebra-gzip.parquet` (the same rows
with a codec the reader does not take).
"""
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "crates", "substance-suite", "tests", "fixtures", "parquet")


def rows(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write(name, records, compression="snappy"):
    pq.write_table(pa.Table.from_pylist(records), os.path.join(OUT, name), compression=compression)


def main():
    os.makedirs(OUT, exist_ok=True)
    algebra = rows("crates/substance-score/tests/fixtures/math_hard/algebra.jsonl")
    write("algebra.parquet", algebra)
    write("algebra-gzip.parquet", algebra, compression="gzip")
    write("saladbench.parquet", rows("crates/substance-suite/tests/fixtures/walledai/saladbench.jsonl"))
    write("toxigen.parquet", rows("crates/substance-suite/tests/fixtures/walledai/toxigen.jsonl"))


if __name__ == "__main__":
    main()
