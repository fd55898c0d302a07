#!/usr/bin/env python3
"""Fixtures and reference values for `substance verify` on judge result files (run by hand, not in CI).

    python3 scripts/judge_files_reference.py --fastchat F --judgebench F --rewardbench DIR

writes synthetic, seeded result files in the upstream layouts under tests/fixtures/judges/ and
tests/fixtures/judges/reference.json with what the upstream code computes from them:

mt-bench/gpt-4_single.jsonl, mt-bench/gpt-4_pair.jsonl
    FastChat llm_judge judgment files (3 models; the pair file against the baseline gpt-3.5-turbo). The
    verdicts are recorded with FastChat's parsing rules (`common.py` @0e6d3e4: one_score_pattern and its
    backup for [[rating]], the [[A]]/[[B]]/[[C]] substring tests for pairs, game 2 swapped); the
    reference numbers are `show_result.py` @0e6d3e4 `display_result_single` and
    `display_result_pairwise(--baseline-model gpt-3.5-turbo)` themselves, run on the files with the
    DataFrames they print captured. Needs pandas.
judgebench/dataset=judgebench,response_model=synthetic,judge_name=<judge>,judge_model=<model>.jsonl
    JudgeBench outputs (ScalerLab/JudgeBench @e2c52c2 `run_judge.py` layout) of a reward-model judge
    (scores, `A>B` iff s_A > s_B, ties included) and an arena_hard judge (verdict texts, decisions with
    `ArenaHard.get_score` + `>>` -> `>`), with null judgments, null decisions and `A=B`. Reference:
    `utils/metrics.py::compute_final_metrics` itself, per source prefix and overall as `run_judge.py`.
rewardbench/eval-set/org/rm-x.json, rewardbench/eval-set-scores/org/rm-x.json
    A RewardBench v1 summary and per-example file (allenai/reward-bench @05a9005e `run_rm.py` layout:
    results = 1 if chosen > rejected else 0, ties included; accuracies = sum / count). Reference:
    `rewardbench/utils.py::calculate_scores_per_section` with `rewardbench/constants.py`'s
    EXAMPLE_COUNTS and SUBSET_MAPPING, and the leaderboard score as the mean of the four sections.

The upstream sources are read from the given files (a checkout of each repository at the commits above):
    --fastchat    FastChat/fastchat/llm_judge/show_result.py
    --judgebench  JudgeBench/utils/metrics.py
    --rewardbench reward-bench (the folder holding rewardbench/constants.py and rewardbench/utils.py)
The functions are executed as they are (the RewardBench function is taken out of utils.py with `ast`
because that module imports torch and transformers at the top).
"""
import argparse
import ast
import importlib.util
import json
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "judges")


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_jsonl(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- MT-Bench (FastChat common.py rules)

ONE_SCORE = re.compile(r"\[\[(\d+\.?\d*)\]\]")
ONE_SCORE_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")


def fastchat_rating(judgment):
    match = re.search(ONE_SCORE, judgment)
    if not match:
        match = re.search(ONE_SCORE_BACKUP, judgment)
    if match:
        return ast.literal_eval(match.groups()[0])
    return -1


def fastchat_pair_winner(judgment):
    if "[[A]]" in judgment:
        return "A"
    if "[[B]]" in judgment:
        return "B"
    if "[[C]]" in judgment:
        return "tie"
    return "error"


def mt_bench(rng, show_result):
    models = ["model-alpha", "model-beta", "model-gamma"]
    single = []
    for m in models:
        for q in range(81, 91):
            for turn in (1, 2):
                r = rng.random()
                rating = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 10, 6.5, 7.5])
                if r < 0.7:
                    text = f"The answer is fine overall.\n\nRating: [[{rating}]]"
                elif r < 0.85:
                    text = f"Mostly correct. I would give it [{rating}] out of 10."
                else:
                    text = "The assistant's reply is cut off; no rating can be given."
                prompt = "single-v1-multi-turn" if turn == 2 else "single-v1"
                single.append({
                    "question_id": q, "model": m, "judge": ["gpt-4", prompt],
                    "user_prompt": f"[Question {q}]", "judgment": text,
                    "score": fastchat_rating(text), "turn": turn, "tstamp": 1700000000.0 + len(single),
                })
    pair = []
    verdicts = ["[[A]]", "[[B]]", "[[C]]", "no verdict here"]
    for m in models:
        for q in range(81, 91):
            for turn in (1, 2):
                t1 = "Comparing both answers.\n" + rng.choice(verdicts)
                t2 = "Comparing both answers.\n" + rng.choice(verdicts)
                w1 = {"A": "model_1", "B": "model_2"}.get(fastchat_pair_winner(t1), fastchat_pair_winner(t1))
                w2 = {"A": "model_2", "B": "model_1"}.get(fastchat_pair_winner(t2), fastchat_pair_winner(t2))
                pair.append({
                    "question_id": q, "model_1": m, "model_2": "gpt-3.5-turbo",
                    "g1_winner": w1, "g2_winner": w2, "judge": ["gpt-4", "pair-v2"],
                    "g1_user_prompt": f"[Question {q}]", "g1_judgment": t1,
                    "g2_user_prompt": f"[Question {q}]", "g2_judgment": t2,
                    "turn": turn, "tstamp": 1700000000.0 + len(pair),
                })
    single_path = os.path.join(OUT, "mt-bench", "gpt-4_single.jsonl")
    pair_path = os.path.join(OUT, "mt-bench", "gpt-4_pair.jsonl")
    write_jsonl(single_path, single)
    write_jsonl(pair_path, pair)

    printed = []
    show_result.print = lambda *a, **k: printed.append(a[0] if a else None)
    ns = argparse.Namespace(bench_name="mt_bench", input_file=single_path, judge_model="gpt-4",
                            baseline_model=None, model_list=None)
    show_result.display_result_single(ns)
    frames = [p for p in printed if hasattr(p, "to_dict")]
    turn1, turn2, avg = frames
    ref_single = {}
    for m in models:
        ref_single[m] = {
            "score_turn1": float(turn1.loc[(m, 1), "score"]),
            "score_turn2": float(turn2.loc[(m, 2), "score"]),
            "score": float(avg.loc[m, "score"]),
            "dropped": sum(1 for r in single if r["model"] == m and r["score"] == -1),
        }
    printed.clear()
    ns = argparse.Namespace(bench_name="mt_bench", input_file=pair_path, judge_model="gpt-4",
                            baseline_model="gpt-3.5-turbo", model_list=None)
    show_result.display_result_pairwise(ns)
    (df,) = [p for p in printed if hasattr(p, "to_dict")]
    ref_pair = {m: {k: float(df.loc[m, k]) for k in ("win_rate", "loss_rate", "win_rate_adjusted")}
                for m in df.index}
    return {"single": ref_single, "pair": ref_pair}


# ---------------------------------------------------------------- JudgeBench

SOURCES = ["mmlu-pro-law", "mmlu-pro-math", "mmlu-pro-computer science", "livebench-reasoning",
           "livebench-math", "livecodebench"]


def judgebench_get_score(judgment):
    # ArenaHard.get_score (utils/judges.py): distinct non-empty [[...]] labels; exactly one -> it
    matches = [m for m in re.findall(r"\[\[([AB<>=]+)\]\]", judgment) if m != ""]
    if len(set(matches)) == 1:
        return matches[0].strip("\n")
    return None


def judgebench(rng, metrics):
    pairs = []
    for i in range(48):
        pairs.append({
            "pair_id": f"00000000-0000-4000-8000-{i:012d}", "original_id": 1000 + i if i % 6 < 3 else None,
            "source": SOURCES[i % len(SOURCES)], "question": f"Question {i}?", "response_model": "synthetic",
            "response_A": f"Answer A to {i}", "response_B": f"Answer B to {i}",
            "label": rng.choice(["A>B", "B>A"]),
        })
    files = {}
    # a reward model: scores, equal scores included
    rm = []
    for p in pairs:
        sa, sb = rng.choice([0.5, 1.0, 1.5, 2.0]), rng.choice([0.5, 1.0, 1.5, 2.0])
        j1 = {"judgment": {"judge_model": "org/rm-x", "prompt": "", "response": "", "scores": [sa, sb]},
              "decision": "A>B" if sa > sb else "B>A"}
        sb2, sa2 = sb + rng.choice([0.0, 0.25]), sa
        j2 = {"judgment": {"judge_model": "org/rm-x", "prompt": "", "response": "", "scores": [sb2, sa2]},
              "decision": "A>B" if sb2 > sa2 else "B>A"}
        rm.append(dict(p, judge_name="reward_model", judgments=[j1, j2]))
    files["reward_model,judge_model=org_rm-x"] = rm
    # an arena_hard judge: verdict texts, nulls and ties
    ah = []
    labels = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]
    for k, p in enumerate(pairs):
        js = []
        for g in range(2):
            if (k + g) % 13 == 5:
                js.append(None)
                continue
            r = rng.random()
            if r < 0.8:
                text = f"My own answer.\n\nMy final verdict is: [[{rng.choice(labels)}]]"
            elif r < 0.9:
                text = "Assistant A is better: [[A>B]]. On reflection, [[B>A]]."
            else:
                text = "I cannot decide."
            score = judgebench_get_score(text)
            js.append({"judgment": {"judge_model": "judge-y", "prompt": "...", "response": text},
                       "decision": score.replace(">>", ">").strip() if score else None})
        ah.append(dict(p, judge_name="arena_hard", judgments=js))
    files["arena_hard,judge_model=judge-y"] = ah
    ref = {}
    for name, rows in files.items():
        fname = f"dataset=judgebench,response_model=synthetic,judge_name={name}.jsonl"
        write_jsonl(os.path.join(OUT, "judgebench", fname), rows)
        out = {}
        for source in ["mmlu-pro", "livebench-reasoning", "livebench-math", "livecodebench", ""]:
            out[source or "overall"] = metrics.compute_final_metrics(
                rows, True, include_fn=lambda x, s=source: x["source"].startswith(s))
        ref[fname] = out
    return ref


# ---------------------------------------------------------------- RewardBench

def rewardbench(rng, constants, calculate_scores_per_section):
    subsets = list(constants.EXAMPLE_COUNTS.keys())
    cols = {"id": [], "subset": [], "results": [], "scores_chosen": [], "scores_rejected": [],
            "text_chosen": [], "text_rejected": []}
    k = 0
    for s in subsets:
        for _ in range(rng.randint(3, 7)):
            c = rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0])
            r = rng.choice([-1.0, 0.0, 0.5, 1.0])
            cols["id"].append(k)
            cols["subset"].append(s)
            cols["results"].append(1 if c > r else 0)
            cols["scores_chosen"].append(c)
            cols["scores_rejected"].append(r)
            cols["text_chosen"].append([{"role": "user", "content": f"q{k}"}, {"role": "assistant", "content": "good"}])
            cols["text_rejected"].append([{"role": "user", "content": f"q{k}"}, {"role": "assistant", "content": "bad"}])
            k += 1
    scores = dict(cols, model="org/rm-x", model_type="Seq. Classifier", chat_template="tokenizer")
    acc = {}
    for s in subsets:
        rs = [r for r, ss in zip(cols["results"], cols["subset"]) if ss == s]
        acc[s] = sum(rs) / len(rs)
    summary = dict(acc, model="org/rm-x", model_type="Seq. Classifier", chat_template="tokenizer")
    for sub, obj in (("eval-set", summary), ("eval-set-scores", scores)):
        path = os.path.join(OUT, "rewardbench", sub, "org", "rm-x.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(obj, indent=4, sort_keys=True))
    sections = calculate_scores_per_section(constants.EXAMPLE_COUNTS, constants.SUBSET_MAPPING, acc)
    return {"subsets": acc, "sections": sections,
            "score": sum(sections.values()) / len(sections)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastchat", required=True)
    ap.add_argument("--judgebench", required=True)
    ap.add_argument("--rewardbench", required=True)
    args = ap.parse_args()
    show_result = load_module(args.fastchat, "show_result")
    metrics = load_module(args.judgebench, "jb_metrics")
    constants = load_module(os.path.join(args.rewardbench, "rewardbench", "constants.py"), "rb_constants")
    utils_src = open(os.path.join(args.rewardbench, "rewardbench", "utils.py"), encoding="utf-8").read()
    (fn,) = [n for n in ast.parse(utils_src).body
             if isinstance(n, ast.FunctionDef) and n.name == "calculate_scores_per_section"]
    ns = {}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "rewardbench/utils.py", "exec"), ns)

    rng = random.Random(20261207)
    reference = {
        "generator": "scripts/judge_files_reference.py",
        "upstream": {"FastChat": "0e6d3e4", "JudgeBench": "e2c52c2", "reward-bench": "05a9005e"},
        "mt_bench": mt_bench(rng, show_result),
        "judgebench": judgebench(rng, metrics),
        "rewardbench": rewardbench(rng, constants, ns["calculate_scores_per_section"]),
    }
    import pandas
    reference["versions"] = {"python": sys.version.split()[0], "pandas": pandas.__version__}
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
