#!/usr/bin/env python3
"""Independent reference for `crates/substance-sos`: SOS-Bench factor scores and judge correlations,
computed with pandas / SciPy from the SAME shipped TOML files the Rust crate embeds.

Run by hand (not in CI):

    python3 scripts/sos_reference.py [DATA_DIR]

DATA_DIR defaults to $SUBSTANCE_DATA or ../shared/data relative to the repository root and must contain
sos-bench/{eleuther_wandb.csv,livebench_groups.csv,arena_hard_auto.csv}. On first use the script creates a
private virtual environment under /tmp (pandas + scipy from PyPI) and re-runs itself there. It writes
`crates/substance-sos/tests/fixtures/sos_reference.json`; `tests/real_data.rs` compares the Rust results
with it to 1e-9.

The implementation is deliberately written from the mapping's documented semantics, not from the Rust code:
  cell → x·scale → (chance corrected) max(0, (x−b)/(1−b)), b = 1/num_choices | chance | 0 → (invert) 1−x;
  benchmark = mean of available columns; factor = mean of available benchmarks; N/A excluded.
Names are joined with the alias table: explicit alias, else the declared-unmatched list, else identical
spelling. Correlations: scipy.stats.pearsonr / spearmanr / kendalltau (tau-b) over the models having both
values (judge pairs: judge-matched models; factor pairs: all results models).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

VENV = Path("/tmp/substance-sos-ref-venv")
ROOT = Path(__file__).resolve().parent.parent
CRATE = ROOT / "crates" / "substance-sos"
OUT = CRATE / "tests" / "fixtures" / "sos_reference.json"


def ensure_venv():
    if os.environ.get("SUBSTANCE_REF_VENV") == "1":
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", "pandas", "scipy"])
    env = dict(os.environ, SUBSTANCE_REF_VENV="1")
    os.execve(str(py), [str(py), __file__, *sys.argv[1:]], env)


ensure_venv()

import math  # noqa: E402
import tomllib  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402
from scipy import stats as sst  # noqa: E402

MISSING = ["N/A", "NA", "n/a", "NaN", "nan", ""]
FACTORS = ["wk", "if", "safety"]


def load_csv(path, model_col):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    df[model_col] = df[model_col].str.strip()
    assert not df[model_col].duplicated().any(), f"duplicate models in {path}"
    return df.set_index(model_col)


def cell(df, model, col):
    v = df.at[model, col].strip()
    if v in MISSING:
        return None
    x = float(v)
    assert math.isfinite(x)
    return x


def baseline(colspec):
    if "num_choices" in colspec:
        return 1.0 / colspec["num_choices"]
    return float(colspec.get("chance", 0.0))


def normalise(x, bench, colspec, mode):
    x = x * float(bench.get("scale", 1.0))
    if mode == "chance_corrected":
        b = baseline(colspec)
        x = max(0.0, (x - b) / (1.0 - b))
    if bench.get("invert", False):
        x = 1.0 - x
    return x


def mean(vals):
    return sum(vals) / len(vals)


def factor_table(results, livebench, mapping, aliases, mode):
    lb_of = {}
    if livebench is not None:
        for lb_name in livebench.index:
            target = aliases.get("livebench", {}).get(lb_name, lb_name)
            if target in results.index and target not in lb_of:
                lb_of[target] = lb_name
    out = {}
    for model in results.index:
        benches = {}
        for bench in mapping["benchmark"]:
            if bench["source"] == "livebench":
                if livebench is None:
                    continue
                if model not in lb_of:
                    benches[bench["name"]] = (bench["factor"], None)
                    continue
                table, row = livebench, lb_of[model]
            else:
                table, row = results, model
            vals = []
            for colspec in bench["columns"]:
                x = cell(table, row, colspec["column"])
                if x is not None:
                    vals.append(normalise(x, bench, colspec, mode))
            benches[bench["name"]] = (bench["factor"], mean(vals) if vals else None)
        factors = {}
        for f in FACTORS:
            vals = [s for (fac, s) in benches.values() if fac == f and s is not None]
            factors[f] = mean(vals) if vals else None
        out[model] = {
            "livebench_name": lb_of.get(model),
            "factors": factors,
            "benchmarks": {k: v[1] for k, v in benches.items()},
        }
    return out


def judge_join(judge, results, aliases):
    matched, unmatched = {}, []
    for name in judge.index:
        s = judge.at[name, "score"].strip()
        if s in MISSING:
            unmatched.append(name)
            continue
        if name in aliases.get("judge", {}):
            target = aliases["judge"][name]
        elif name in aliases.get("judge_unmatched", {}):
            unmatched.append(name)
            continue
        else:
            target = name
        if target in results.index and target not in matched.values():
            matched[name] = target
        else:
            unmatched.append(name)
    scores = {matched[n]: float(judge.at[n, "score"]) for n in matched}
    return scores, matched, unmatched


def coefficients(x, y):
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, fn in (("pearson", sst.pearsonr), ("spearman", sst.spearmanr), ("kendall_tau_b", sst.kendalltau)):
            v = fn(x, y)[0] if len(x) >= 2 else float("nan")
            out[key] = None if not np.isfinite(v) else float(v)
    return out


def correlations(table, judge_scores):
    rows = []
    if judge_scores is not None:
        for f in FACTORS:
            models = [m for m in table if m in judge_scores and table[m]["factors"][f] is not None]
            x = [judge_scores[m] for m in models]
            y = [table[m]["factors"][f] for m in models]
            for method, v in coefficients(x, y).items():
                rows.append({"x": "judge", "y": f, "method": method, "n": len(models), "estimate": v,
                             "models": models})
    for i, fa in enumerate(FACTORS):
        for fb in FACTORS[i + 1:]:
            models = [m for m in table if table[m]["factors"][fa] is not None and table[m]["factors"][fb] is not None]
            x = [table[m]["factors"][fa] for m in models]
            y = [table[m]["factors"][fb] for m in models]
            for method, v in coefficients(x, y).items():
                rows.append({"x": fa, "y": fb, "method": method, "n": len(models), "estimate": v, "models": models})
    return rows


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(
        os.environ.get("SUBSTANCE_DATA", ROOT.parent / "shared" / "data"))
    sos = data / "sos-bench"
    mapping = tomllib.loads((CRATE / "data" / "sos_mapping.toml").read_text())
    aliases = tomllib.loads((CRATE / "data" / "aliases.toml").read_text())
    results = load_csv(sos / "eleuther_wandb.csv", "Name")
    livebench = load_csv(sos / "livebench_groups.csv", "model")
    judge = load_csv(sos / "arena_hard_auto.csv", "model")
    scores, matched, unmatched = judge_join(judge, results, aliases)

    configs = []
    for mode in ("chance_corrected", "raw"):
        for with_lb in (True, False):
            table = factor_table(results, livebench if with_lb else None, mapping, aliases, mode)
            configs.append({
                "norm": mode,
                "livebench": with_lb,
                "models": table,
                "correlations": correlations(table, scores),
            })
    doc = {
        "generator": "scripts/sos_reference.py",
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "inputs": ["sos-bench/eleuther_wandb.csv", "sos-bench/livebench_groups.csv", "sos-bench/arena_hard_auto.csv"],
        "judge_matched": matched,
        "judge_unmatched": unmatched,
        "configs": configs,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(results)} models, {len(matched)} judge matches")
    for c in configs:
        print(f"\n[{c['norm']}, livebench={c['livebench']}]")
        for r in c["correlations"]:
            est = "   n/a" if r["estimate"] is None else f"{r['estimate']:+.3f}"
            print(f"  {r['x']:>6} ~ {r['y']:<6} {r['method']:<14} n={r['n']:>2} {est}")


if __name__ == "__main__":
    main()
