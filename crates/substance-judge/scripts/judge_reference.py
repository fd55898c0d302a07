#!/usr/bin/env python3
"""Independent computation of judge-metric and bias-report figures on recorded judgments.

Reads the shared data folder ($SUBSTANCE_DATA, default ../../../shared/data relative to this crate) and
writes tests/fixtures/judge_reference.json. The Rust tests `tests/real_bias.rs` and
`tests/real_metrics.rs` rebuild the same figures with the crate's importers, metrics and `bias_report`.
Metric figures use scikit-learn (`pip install scikit-learn`), the library JudgeLM and LLMBar call; when it
is not installed the "sklearn" entries are left out and the Rust test skips them.

Definitions (same as src/report.rs, written from scratch here):
- LLMBar (GPT-4 result files): each item has a recorded winner for the original order ("swap = False")
  and for the swapped order ("swap = True", already mapped back by LLMBar). flip = both present and
  different; position consistency = 1 - flip rate; length preference over both games (decisive winner,
  outputs of different length in code points): the longer output won; style vs substance (adversarial
  subsets) over both games with a winner: the non-gold output (the distractor) won.
- PandaLM: one judgment per pair for GPT-3.5 ("garbage" = no verdict), PandaLM-7B and the human
  majority (first-seen tie-break); length preference as above, ties excluded.
"""
import json
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("SUBSTANCE_DATA", os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))


def text(x):
    return str(x) if not isinstance(x, str) else x


def llmbar(subsets, mode):
    flips = flip_n = 0
    len_hits = len_n = 0
    sty_hits = sty_n = 0
    items = 0
    for subset, adversarial in subsets:
        path = os.path.join(DATA, "llmbar", "LLMBar", subset, "evaluators", "GPT-4", mode, "result.json")
        for inst in json.load(open(path)):
            items += 1
            res = inst["results"][-1]
            w = [res["swap = False"]["winner"], res["swap = True"]["winner"]]
            if w[0] is not None and w[1] is not None:
                flip_n += 1
                flips += w[0] != w[1]
            l1, l2 = len(text(inst["output_1"])), len(text(inst["output_2"]))
            distractor = "2" if inst["label"] == 1 else "1"
            for g in w:
                if g in ("1", "2") and l1 != l2:
                    len_n += 1
                    len_hits += (g == "1") == (l1 > l2)
                if adversarial and g is not None:
                    sty_n += 1
                    sty_hits += g == distractor
    return {
        "items": items,
        "flip": [flips, flip_n],
        "position_consistency": [flip_n - flips, flip_n],
        "length_preference": [len_hits, len_n],
        "style_vs_substance": [sty_hits, sty_n],
    }


def majority(votes):
    c = defaultdict(int)
    for v in votes:
        c[v] += 1
    return max(c, key=c.get)


def pandalm():
    d = os.path.join(DATA, "pandalm", "data")
    t = json.load(open(os.path.join(d, "testset-v1.json")))
    g = json.load(open(os.path.join(d, "gpt-3.5-turbo-testset-v1.json")))
    p = json.load(open(os.path.join(d, "pandalm-7b-testset-v1.json")))
    judges = {
        "human": [majority([x["annotator1"], x["annotator2"], x["annotator3"]]) for x in t],
        "gpt-3.5-turbo": [{"1": 1, "2": 2, "Tie": 0}.get(x["gpt_result"]) for x in g],
        "PandaLM-7B": [x["pandalm_result"] for x in p],
    }
    out = {}
    for name, preds in judges.items():
        hits = n = 0
        for x, pr in zip(t, preds):
            l1, l2 = len(text(x["response1"])), len(text(x["response2"]))
            if pr not in (1, 2) or l1 == l2:
                continue
            n += 1
            hits += (pr == 1) == (l1 > l2)
        out[name] = {"length_preference": [hits, n]}
    return out


def code(w):
    # JudgeLM's encoding of a winner in the presented order: "1" -> +1, "2" -> -1, tie/None -> 0.
    return {"1": 1, "2": -1}.get(w, 0)


def llmbar_consistency(subsets, mode):
    """JudgeLM's consistency / perfer_before / perfer_after on LLMBar's two games."""
    seq, rev = [], []
    for subset, _ in subsets:
        path = os.path.join(DATA, "llmbar", "LLMBar", subset, "evaluators", "GPT-4", mode, "result.json")
        for inst in json.load(open(path)):
            res = inst["results"][-1]
            wf, wt = res["swap = False"]["winner"], res["swap = True"]["winner"]
            seq.append(code(wf))
            # LLMBar stored the swapped game's winner mapped back; as presented it is the other output.
            rev.append(-code(wt))
    same = before = after = 0
    for s_, r in zip(seq, rev):
        f = -s_
        if f == r:
            same += 1
        elif f - r > 0:
            after += 1
        else:
            before += 1
    return {"n": len(seq), "same": same, "prefer_first": before, "prefer_second": after}


def pandalm_metrics():
    d = os.path.join(DATA, "pandalm", "data")
    t = json.load(open(os.path.join(d, "testset-v1.json")))
    g = json.load(open(os.path.join(d, "gpt-3.5-turbo-testset-v1.json")))
    p = json.load(open(os.path.join(d, "pandalm-7b-testset-v1.json")))
    gold = [majority([x["annotator1"], x["annotator2"], x["annotator3"]]) for x in t]
    votes = [[x["annotator1"], x["annotator2"], x["annotator3"]] for x in t]
    judges = {
        "gpt-3.5-turbo": [{"1": 1, "2": 2, "Tie": 0}.get(x["gpt_result"]) for x in g],
        "PandaLM-7B": [x["pandalm_result"] for x in p],
    }
    out = {"human_human": {}}
    for ties in (True, False):
        agree = total = 0
        for vs in votes:
            for i in range(len(vs)):
                for j in range(i + 1, len(vs)):
                    if not ties and (vs[i] == 0 or vs[j] == 0):
                        continue
                    total += 1
                    agree += vs[i] == vs[j]
        out["human_human"]["with_ties" if ties else "without_ties"] = [agree, total]
    try:
        from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, precision_score, recall_score
    except ImportError:
        sk = None
    else:
        sk = True
    for name, preds in judges.items():
        entry = {}
        for ties in (True, False):
            agree = total = 0
            for jv, vs in zip(preds, votes):
                if jv is None or (not ties and jv == 0):
                    continue
                for h in vs:
                    if not ties and h == 0:
                        continue
                    total += 1
                    agree += h == jv
            entry["judge_human_" + ("with_ties" if ties else "without_ties")] = [agree, total]
        if sk:
            # Missing verdicts dropped; sklearn's default label set (classes present).
            y = [(gg, pp) for gg, pp in zip(gold, preds) if pp is not None]
            yt = [a for a, _ in y]
            yp = [b for _, b in y]
            entry["sklearn"] = {
                "n": len(y),
                "accuracy": accuracy_score(yt, yp),
                "precision": precision_score(yt, yp, average="macro", zero_division=0),
                "recall": recall_score(yt, yp, average="macro", zero_division=0),
                "f1": f1_score(yt, yp, average="macro", zero_division=0),
                "kappa": cohen_kappa_score(yt, yp),
            }
        out[name] = entry
    return out


def main():
    adversarial = [("Adversarial/" + s, True) for s in ("Neighbor", "GPTInst", "GPTOut", "Manual")]
    natural = [("Natural", False)]
    ref = {"llmbar": {}, "pandalm": pandalm(), "metrics": {"pandalm": pandalm_metrics(), "llmbar_consistency": {}}}
    for mode in ("Vanilla", "CoT", "Swap_CoT"):
        ref["llmbar"]["adversarial/" + mode] = llmbar(adversarial, mode)
        ref["llmbar"]["natural/" + mode] = llmbar(natural, mode)
        ref["metrics"]["llmbar_consistency"]["adversarial/" + mode] = llmbar_consistency(adversarial, mode)
        ref["metrics"]["llmbar_consistency"]["natural/" + mode] = llmbar_consistency(natural, mode)
    out = os.path.join(HERE, "..", "tests", "fixtures", "judge_reference.json")
    with open(out, "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")
    json.dump(ref["metrics"], sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
