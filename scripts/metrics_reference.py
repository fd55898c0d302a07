#!/usr/bin/env python3
"""Reference numbers for `crates/substance-metrics`, computed with NumPy / SciPy the way lm-eval does.

Run by hand (not in CI):

    python3 scripts/metrics_reference.py

On first use it creates a private virtual environment under /tmp (numpy + scipy from PyPI) and re-runs
itself there. It writes `crates/substance-metrics/tests/fixtures/metrics_reference.json`, which holds every
input vector together with the expected outputs; `tests/reference.rs` reads it and compares.

The formulas deliberately mirror the Python sources the Rust code ports:
  - lm-eval `api/task.py` multiple-choice branch (acc, acc_norm with len(str), acc_bytes, exact_match,
    acc_mutual_info, brier via `utils.softmax`), TruthfulQA `process_results_mc2`;
  - lm-eval `api/metrics.py` (mean, sample_stddev, mean_stderr, pooled_sample_stderr,
    aggregate_subtask_metrics);
  - scipy.stats pearsonr / spearmanr / kendalltau, scipy.stats.rankdata, numpy.percentile (linear).
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

VENV = Path("/tmp/substance-metrics-ref-venv")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crates" / "substance-metrics" / "tests" / "fixtures" / "metrics_reference.json"


def ensure_venv():
    if os.environ.get("SUBSTANCE_REF_VENV") == "1":
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", "numpy", "scipy"])
    env = dict(os.environ, SUBSTANCE_REF_VENV="1")
    os.execve(str(py), [str(py), __file__, *sys.argv[1:]], env)


ensure_venv()

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import stats as sst  # noqa: E402


def softmax(x):
    # lm-eval utils.softmax
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum()


def mc_case(name, lls, choices, gold, is_greedy=None, uncond=None):
    lls_a = np.array(lls, dtype=float)
    completion_len = np.array([float(len(c)) for c in choices])  # characters, as lm-eval
    byte_len = np.array([float(len(c.encode("utf-8"))) for c in choices])
    pred = int(np.argmax(lls_a))
    pred_norm = int(np.argmax(lls_a / completion_len))
    pred_bytes = int(np.argmax(lls_a / byte_len))
    out = {
        "name": name,
        "lls": lls,
        "choices": choices,
        "gold": gold,
        "pred": pred,
        "pred_norm": pred_norm,
        "pred_bytes": pred_bytes,
        "acc": 1.0 if pred in gold else 0.0,
        "acc_norm": 1.0 if pred_norm in gold else 0.0,
        "acc_bytes": 1.0 if pred_bytes in gold else 0.0,
    }
    p = softmax(lls_a)
    out["mc2"] = float(sum(p[i] for i in sorted(set(gold))))
    y = np.zeros(len(lls))
    y[list(set(gold))] = 1.0
    out["brier"] = float(np.sum((p - y) ** 2))
    if is_greedy is not None:
        out["is_greedy"] = is_greedy
        out["greedy_exact_match"] = float(int(any(is_greedy[g] for g in gold)))
    if uncond is not None:
        out["uncond"] = uncond
        mi = [c - u for c, u in zip(lls, uncond)]
        out["acc_mutual_info"] = 1.0 if int(np.argmax(mi)) in gold else 0.0
    return out


def mc_cases():
    rng = np.random.default_rng(20240915)
    cases = [
        # Non-ASCII: characters != bytes and the argmax flips between acc_norm and acc_bytes.
        mc_case("non_ascii_flip", [-2.0, -2.7], ["éé", "abc"], [1]),
        mc_case("emoji_vs_word", [-3.0, -5.5], ["👍", "yes!!"], [1]),
        mc_case("cjk", [-6.0, -4.1, -9.0], ["北京市", "東京", "Paris, France"], [2]),
        mc_case("combining_accent", [-4.0, -3.9], ["cafe\u0301", "cafés"], [0]),
        mc_case("ties_first_wins", [-1.0, -1.0, -2.0], ["a", "b", "c"], [1]),
        mc_case("multi_gold", [-3.0, -1.0, -2.0], ["x", "y", "z"], [0, 1],
                is_greedy=[False, False, True], uncond=[-1.0, -0.5, -4.0]),
        mc_case("very_negative", [-1000.0, -1001.0, -1003.5], ["one", "two", "three"], [0, 2],
                is_greedy=[True, False, False], uncond=[-998.0, -1000.5, -1001.0]),
        mc_case("truthfulqa_like", [-12.3, -10.1, -15.7, -11.0, -30.2],
                ["The sky is blue.", "Blue.", "It is green, obviously.", "Because of Rayleigh scattering.", "No"],
                [0, 1, 3], is_greedy=[False, True, False, False, False],
                uncond=[-20.0, -9.0, -25.0, -14.0, -20.0]),
    ]
    words = ["alpha", "β", "gamma ray", "δέλτα", "ε", "zeta", "ηθ", "iota kappa", "λ", "mu nu xi"]
    for k in range(12):
        n = int(rng.integers(2, 7))
        lls = [float(round(v, 6)) for v in rng.normal(-8.0, 3.0, size=n)]
        choices = [str(rng.choice(words)) + ("!" * int(rng.integers(0, 3))) for _ in range(n)]
        gold = sorted({int(rng.integers(0, n)) for _ in range(int(rng.integers(1, 3)))})
        greedy = [bool(v) for v in rng.integers(0, 2, size=n)]
        uncond = [float(round(v, 6)) for v in rng.normal(-8.0, 3.0, size=n)]
        cases.append(mc_case(f"random_{k}", lls, choices, gold, is_greedy=greedy, uncond=uncond))
    return cases


def sample_stddev(arr):
    mu = sum(arr) / len(arr)
    return math.sqrt(sum((x - mu) ** 2 for x in arr) / (len(arr) - 1))


def pooled_sample_stderr(stderrs, sizes):
    pooled_sample_var = (sum((size - 1) * stderr**2 * size for size, stderr in zip(sizes, stderrs))) / (
        sum(sizes) - len(sizes)
    )
    return float(np.sqrt(pooled_sample_var / sum(sizes)))


def stats_cases():
    rng = np.random.default_rng(7)
    out = []
    for k, n in enumerate([2, 3, 10, 57, 400]):
        vals = [float(v) for v in rng.integers(0, 2, size=n)] if k % 2 == 0 else [
            float(round(v, 6)) for v in rng.normal(0.4, 0.2, size=n)
        ]
        out.append({
            "values": vals,
            "mean": sum(vals) / len(vals),
            "sample_std": sample_stddev(vals),
            "stderr_mean": sample_stddev(vals) / math.sqrt(len(vals)),
            "np_std_ddof1": float(np.std(vals, ddof=1)),
        })
    groups = []
    for g in range(3):
        sizes = [int(v) for v in rng.integers(2, 500, size=int(rng.integers(2, 6)))]
        scores = [float(round(v, 6)) for v in rng.uniform(0.2, 0.9, size=len(sizes))]
        ses = [float(round(v, 6)) for v in rng.uniform(0.005, 0.05, size=len(sizes))]
        groups.append({
            "sizes": sizes,
            "scores": scores,
            "stderrs": ses,
            "group_mean": sum(m * s for m, s in zip(scores, sizes)) / sum(sizes),
            "pooled_stderr": pooled_sample_stderr(ses, sizes),
        })
    # Pooling stderrs of 0/1 subtasks reproduces the stderr of the concatenation closely (lm-eval's comment).
    parts = [[float(v) for v in rng.integers(0, 2, size=n)] for n in (120, 80, 200)]
    concat = [v for p in parts for v in p]
    pooled_concat = {
        "parts": parts,
        "pooled_stderr": pooled_sample_stderr([sample_stddev(p) / math.sqrt(len(p)) for p in parts],
                                              [len(p) for p in parts]),
        "concat_stderr": sample_stddev(concat) / math.sqrt(len(concat)),
    }
    w_vals = [float(round(v, 6)) for v in rng.normal(0, 1, size=9)]
    w = [float(round(v, 6)) for v in rng.uniform(0, 3, size=9)]
    weighted = {"values": w_vals, "weights": w, "weighted_mean": float(np.average(w_vals, weights=w))}
    return {"series": out, "groups": groups, "pooled_concat": pooled_concat, "weighted": weighted}


def corr_cases():
    rng = np.random.default_rng(11)
    cases = []

    def add(name, x, y):
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        c = {"name": name, "x": x, "y": y}
        with np.errstate(all="ignore"):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pr = sst.pearsonr(x, y)[0] if len(x) >= 2 else float("nan")
                sr = sst.spearmanr(x, y)[0] if len(x) >= 2 else float("nan")
                kt = sst.kendalltau(x, y)[0] if len(x) >= 2 else float("nan")
        for key, v in (("pearson", pr), ("spearman", sr), ("kendall_tau_b", kt)):
            c[key] = None if (v is None or not np.isfinite(v)) else float(v)
        c["rank_x"] = [float(r) for r in sst.rankdata(x, method="average")]
        cases.append(c)

    add("perfect", [1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    add("anti", [1, 2, 3, 4, 5], [5, 4, 3, 2, 1])
    add("ties_both", [1, 2, 2, 3, 3, 3, 4, 5, 1], [2, 1, 2, 3, 1, 3, 5, 5, 0])
    add("constant_y", [1, 2, 3], [7, 7, 7])
    add("two_points", [0.1, 0.9], [3.0, -1.0])
    add("monotone_nonlinear", [1, 2, 3, 4, 5, 6], [1, 4, 9, 16, 25, 1000])
    for k, n in enumerate([8, 35, 120]):
        x = np.round(rng.normal(0, 1, size=n), 4)
        y = np.round(0.4 * x + rng.normal(0, 1, size=n), 4)
        add(f"gauss_{n}", x, y)
        # Heavy ties: discretise.
        add(f"discrete_{n}", np.floor(x * 2), np.floor(y))
    add("large_offset", [1e9 + v for v in (0.1, 0.4, 0.2, 0.9, 0.5)], [3, 1, 2, 5, 4])
    return cases


def quantile_cases():
    rng = np.random.default_rng(3)
    out = []
    for n in (1, 2, 4, 7, 100):
        v = sorted(float(round(x, 6)) for x in rng.normal(0, 1, size=n))
        qs = [0.0, 0.025, 0.05, 0.25, 0.5, 0.9, 0.975, 1.0]
        out.append({"sorted": v, "q": qs, "expected": [float(np.percentile(v, 100 * q)) for q in qs]})
    return out


def main():
    data = {
        "generator": "scripts/metrics_reference.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "mc": mc_cases(),
        "stats": stats_cases(),
        "correlation": corr_cases(),
        "quantiles": quantile_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(data['mc'])} mc cases, {len(data['correlation'])} correlation cases)")


if __name__ == "__main__":
    main()
