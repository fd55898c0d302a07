#!/usr/bin/env python3
"""Independent computation of the bias-report point figures on recorded judgments.

Reads the shared data folder ($SUBSTANCE_DATA, default ../../../shared/data relative to this crate) and
writes tests/fixtures/bias_reference.json. The Rust test `tests/real_bias.rs` rebuilds the same figures
with the crate's importers and `bias_report` and must match the counts exactly.

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


def main():
    adversarial = [("Adversarial/" + s, True) for s in ("Neighbor", "GPTInst", "GPTOut", "Manual")]
    natural = [("Natural", False)]
    ref = {"llmbar": {}, "pandalm": pandalm()}
    for mode in ("Vanilla", "CoT", "Swap_CoT"):
        ref["llmbar"]["adversarial/" + mode] = llmbar(adversarial, mode)
        ref["llmbar"]["natural/" + mode] = llmbar(natural, mode)
    out = os.path.join(HERE, "..", "tests", "fixtures", "bias_reference.json")
    with open(out, "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")
    json.dump(ref, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
