#!/usr/bin/env python3
"""The data and the peer of `cargo xtask bench verify`.

    python3 scripts/perf/verify_bench.py make DIR [--mb 100]
    python3 scripts/perf/verify_bench.py peer DIR [--runs 1]

`make` writes an lm-evaluation-harness 0.4.13 output folder of about MB megabytes into DIR, grown from
the committed real run tests/fixtures/lm-eval/0.4.13/ (three tasks and a group, written by lm-eval
itself): every doc is repeated under new doc ids with a passage of text added to it (so a line weighs
about 4 KB, as the Open LLM Leaderboard's sample lines do), and everything that depends on the samples
is recomputed so that the set verifies: doc_hash, task_hashes, n-samples, every mean metric's stderr
(lm-eval's mean_stderr), mcc and its bootstrap stderr (lm-eval's seeded bootstrap, with
`bootstrap_iters` set to 1000 in the set's config), the group's pooled stderr and sample counts. Only the
standard library.

`peer` is the reference side: lm-eval's own Python recomputing, from DIR's sample logs, what
`substance verify` recomputes — every doc/prompt/target hash with `lm_eval.utils.hash_string`, each task
hash, per-sample multiple-choice acc/acc_norm from the logged log-likelihoods (numpy argmax, as
`ConfigurableTask.process_results` does), and every mean metric with `lm_eval.api.metrics.mean` and
`mean_stderr` — and compares them with the results file. It needs lm-eval (0.4.13 was used); it prints
`PEER_JSON {"seconds": [...], "peak_rss_mb": ..., "checked": N, "mismatches": M}`.
"""
import hashlib
import json
import math
import os
import random
import resource
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "lm-eval", "0.4.13", "SmolLM2-135M-Instruct")
BOOTSTRAP_ITERS = 1000
WORDS = ("alpha beta gamma delta evidence claim result sample model judge answer question passage "
         "context metric score verify number table figure report").split()


def sha(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def stderr(xs):
    n = len(xs)
    mu = sum(xs) / n
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / (n - 1)) / math.sqrt(n)


def mcc(pairs):
    """scikit-learn's matthews_corrcoef through the confusion matrix (what lm-eval aggregates)."""
    labels = sorted({v for p in pairs for v in p})
    idx = {v: i for i, v in enumerate(labels)}
    t_sum = [0.0] * len(labels)
    p_sum = [0.0] * len(labels)
    correct = 0.0
    for g, p in pairs:
        t_sum[idx[g]] += 1.0
        p_sum[idx[p]] += 1.0
        correct += g == p
    n = sum(p_sum)
    dot = lambda a, b: sum(x * y for x, y in zip(a, b))
    cov_ytyp = correct * n - dot(t_sum, p_sum)
    cov_ypyp = n * n - dot(p_sum, p_sum)
    cov_ytyt = n * n - dot(t_sum, t_sum)
    if cov_ypyp * cov_ytyt == 0:
        return 0.0
    return cov_ytyp / math.sqrt(cov_ytyt * cov_ypyp)


def bootstrap_stderr(f, xs, iters):
    """lm-eval's bootstrap_stderr: chunk i of 1000 resamples drawn by random.Random(i).choices."""
    chunk = min(1000, iters)
    res = []
    for i in range(iters // chunk):
        rnd = random.Random()
        rnd.seed(i)
        for _ in range(chunk):
            res.append(f(rnd.choices(xs, k=len(xs))))
    mu = sum(res) / len(res)
    return math.sqrt(sum((x - mu) ** 2 for x in res) / (len(res) - 1))


def make(out, mb):
    names = sorted(os.listdir(FIXTURE))
    results_name = [n for n in names if n.startswith("results_")][0]
    results = json.load(open(os.path.join(FIXTURE, results_name), encoding="utf-8"))
    samples = {}
    for n in names:
        if n.startswith("samples_"):
            task = [t for t in results["configs"] if n.startswith(f"samples_{t}_")][0]
            samples[task] = (n, [json.loads(l) for l in open(os.path.join(FIXTURE, n), encoding="utf-8")])
    lines = sum(len(s) for _, s in samples.values())
    line_bytes = 4200
    copies = max(1, int(mb * 1e6 / (lines * line_bytes)))
    rng = random.Random(12)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for task, (name, rows) in samples.items():
        n_docs = len({r["doc_id"] for r in rows})
        grown = []
        for k in range(copies):
            for r in rows:
                r = json.loads(json.dumps(r))
                r["doc_id"] = r["doc_id"] + k * n_docs
                r["doc"]["passage"] = " ".join(rng.choice(WORDS) for _ in range(480))
                r["doc_hash"] = sha(json.dumps(r["doc"], indent=2, ensure_ascii=False))
                grown.append(r)
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            for r in grown:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        samples[task] = (name, grown)
        results["task_hashes"][task] = sha("".join(r["doc_hash"] + r["prompt_hash"] + r["target_hash"]
                                               for r in grown))
        results["n-samples"][task] = {"original": n_docs * copies, "effective": n_docs * copies}
        res = results["results"][task]
        res["sample_len"] = n_docs * copies
        aggs = {m["metric"]: m["aggregation"] for m in results["configs"][task].get("metric_list", [])}
        for key in list(res):
            if "," not in key or "_stderr" in key:
                continue
            metric, flt = key.split(",", 1)
            if aggs.get(metric) == "matthews_corrcoef":
                # a bootstrap stderr: lm-eval's, with fewer resamples (the set's config says how many)
                pairs = [tuple(r[metric]) for r in sorted(grown, key=lambda r: r["doc_id"])
                         if r.get("filter", "none") == flt and metric in r]
                res[key] = mcc(pairs)
                res[f"{metric}_stderr,{flt}"] = bootstrap_stderr(mcc, pairs, BOOTSTRAP_ITERS)
                continue
            if aggs.get(metric) != "mean":
                continue
            xs = [float(r[metric]) for r in grown if r.get("filter", "none") == flt and metric in r]
            res[f"{metric}_stderr,{flt}"] = stderr(xs)
    results["config"]["bootstrap_iters"] = BOOTSTRAP_ITERS
    for group, members in results.get("group_subtasks", {}).items():
        res = results["results"][group]
        total_len = 0
        for key in list(res):
            if "," not in key or "_stderr" in key:
                continue
            metric, flt = key.split(",", 1)
            parts = [(results["n-samples"][m]["effective"], results["results"][m][f"{metric}_stderr,{flt}"])
                     for m in members if key in results["results"][m]]
            total = sum(n for n, _ in parts)
            pooled = sum((n - 1) * se * se * n for n, se in parts) / (total - len(parts))
            res[f"{metric}_stderr,{flt}"] = math.sqrt(pooled / total)
            res["sample_count"][key] = total
        res["sample_len"] = sum(results["n-samples"][m]["effective"] for m in members)
        if group in results.get("groups", {}):
            results["groups"][group] = {k: v for k, v in res.items()}
    with open(os.path.join(out, results_name), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
    size = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"MAKE_JSON {json.dumps({'dir': out, 'bytes': size, 'samples': lines * copies, 'copies': copies})}")


def peer_once(d):
    import numpy as np
    from lm_eval.api.metrics import mean, mean_stderr
    from lm_eval.utils import hash_string
    names = sorted(os.listdir(d))
    results = json.load(open(os.path.join(d, [n for n in names if n.startswith("results_")][0]),
                            encoding="utf-8"))
    checked = mismatches = 0
    for task, cfg in results["configs"].items():
        files = [n for n in names if n.startswith(f"samples_{task}_")]
        if not files:
            continue
        rows = [json.loads(l) for l in open(os.path.join(d, files[0]), encoding="utf-8")]
        joined = []
        for r in rows:
            args = r["arguments"]["gen_args_0"]
            hashes = (hash_string(json.dumps(r["doc"], indent=2, ensure_ascii=False)),
                      hash_string(args["arg_0"]), hash_string(str(r["target"])))
            checked += 3
            mismatches += sum(a != b for a, b in zip(hashes, (r["doc_hash"], r["prompt_hash"], r["target_hash"])))
            joined.append("".join(hashes))
            if (cfg.get("output_type") == "multiple_choice" and not cfg.get("process_results")
                    and "acc" in r and "choices" in r["doc"]):
                lls = np.array([float(x[0]) for x in r["filtered_resps"]])
                n_choices = len(r["doc"]["choices"])
                lls = lls[:n_choices]
                gold = int(r["target"])
                lens = np.array([float(len(c)) for c in r["doc"]["choices"]])
                acc = 1.0 if int(np.argmax(lls)) == gold else 0.0
                acc_norm = 1.0 if int(np.argmax(lls / lens)) == gold else 0.0
                checked += 2
                mismatches += (acc != r["acc"]) + ("acc_norm" in r and acc_norm != r["acc_norm"])
        checked += 1
        mismatches += hash_string("".join(joined)) != results["task_hashes"][task]
        res = results["results"][task]
        aggs = {m["metric"]: m["aggregation"] for m in cfg.get("metric_list", [])}
        for key, value in res.items():
            if "," not in key or "_stderr" in key:
                continue
            metric, flt = key.split(",", 1)
            if aggs.get(metric) != "mean":
                continue
            xs = [float(r[metric]) for r in rows if r.get("filter", "none") == flt and metric in r]
            if not xs or not isinstance(value, float):
                continue
            m, se = mean(xs), mean_stderr(xs)
            checked += 2
            mismatches += abs(m - value) > 1e-12
            want_se = res.get(f"{metric}_stderr,{flt}")
            mismatches += isinstance(want_se, float) and abs(se - want_se) > 1e-9
    return checked, mismatches


def peer(d, runs):
    # imported before the clock starts: the time is the recomputation, not loading torch
    import numpy  # noqa: F401
    import lm_eval.api.metrics  # noqa: F401
    import lm_eval.utils  # noqa: F401
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        checked, mismatches = peer_once(d)
        seconds.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("PEER_JSON " + json.dumps({"seconds": seconds, "peak_rss_mb": peak, "checked": checked,
                                     "mismatches": mismatches}))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("make", "peer"):
        sys.exit(__doc__)
    opt = lambda name, default: int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default
    if sys.argv[1] == "make":
        make(sys.argv[2], opt("--mb", 100))
    else:
        peer(sys.argv[2], opt("--runs", 1))
