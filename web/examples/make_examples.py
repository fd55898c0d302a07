#!/usr/bin/env python3
"""Write the Leaderboard tab's bundled examples (web/examples/arena/, web/examples/sos/).

Synthetic and original: fictional models ("example-*"), templated answers written here, and judge
verdicts drawn from a seeded model in which the fictional judge rewards length and markdown as well as
quality — so the style-control toggle visibly changes the ranking, and in the SOS view the judge score
tracks instruction following more than knowledge or safety. No file of any real benchmark is used. The
layouts are those the leaderboard and SOS crates read (Arena-Hard v0.1 judgment/answer JSONL; the
eleuther_wandb.csv / arena_hard_auto.csv column layout, with the columns of crates/substance-sos's
mapping). Run from anywhere: python3 web/examples/make_examples.py (deterministic).
"""
import json
import math
import pathlib
import random
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
rng = random.Random(20241123)

# ── Arena-Hard v0.1: answers and two-game judgments ─────────────────────────────────────────────────
JUDGE = "example-judge"
BASELINE = "example-baseline"
# model: (quality, verbosity in extra sentences, markdown)
MODELS = {
    BASELINE: (0.0, 1, False),
    "example-careful": (1.2, 1, False),
    "example-verbose": (0.2, 6, True),
    "example-balanced": (0.7, 3, True),
    "example-terse": (0.4, 0, False),
    "example-weak": (-0.8, 2, False),
}
TOPICS = ["photosynthesis", "binary search", "the water cycle", "compound interest", "plate tectonics",
          "HTTP caching", "vaccines", "recursion", "supply and demand", "the French Revolution",
          "unit testing", "black holes", "gradient descent", "tides", "public-key cryptography", "rainbows",
          "sorting stability", "inflation", "DNS", "the immune system"]
FILLER = ["This is an important topic with many practical applications.",
          "It is worth keeping the broader context in mind.",
          "Many people find this easier to understand with an example.",
          "There are several perspectives one could take here.",
          "In summary, the key ideas above are what matter most.",
          "Further reading can deepen this understanding considerably.",
          "Each of these points connects to the others in interesting ways."]


def answer_text(model, topic, quality, verbosity, markdown):
    core = f"{topic.capitalize()} can be explained in a few steps."
    points = [f"The first idea behind {topic} is the basic mechanism.",
              f"The second idea is how {topic} behaves in practice."]
    if quality > 0.5:
        points.append(f"A common misconception about {topic} is corrected by a concrete example.")
    if quality < 0:
        points[1] = f"The second idea is, roughly, that {topic} is mostly about luck."
    extra = [FILLER[(i + len(topic)) % len(FILLER)] for i in range(verbosity)]
    if markdown:
        body = f"## {topic.capitalize()}\n\n{core}\n\n" + "\n".join(f"- **Point {i + 1}:** {p}" for i, p in enumerate(points))
        return body + ("\n\n" + " ".join(extra) if extra else "")
    return " ".join([core, *points, *extra])


def token_len(text):
    return max(1, round(len(text.split()) * 1.3))


def label(diff):
    # diff = strength(first shown) - strength(second shown), plus noise
    if diff > 1.2:
        return "A>>B"
    if diff > 0.35:
        return "A>B"
    if diff > -0.35:
        return "A=B"
    if diff > -1.2:
        return "B>A"
    return "B>>A"


def main():
    arena = HERE / "arena"
    (arena / "model_answer").mkdir(parents=True, exist_ok=True)
    (arena / JUDGE).mkdir(parents=True, exist_ok=True)
    qids = [f"example-q{i:02d}" for i in range(len(TOPICS))]
    answers = {}
    for model, (q, verb, md) in MODELS.items():
        lines = []
        for qid, topic in zip(qids, TOPICS):
            text = answer_text(model, topic, q, verb, md)
            answers[(model, qid)] = text
            lines.append(json.dumps({"question_id": qid, "answer_id": f"{model}-{qid}", "model_id": model,
                                     "choices": [{"index": 0, "turns": [{"content": text, "token_len": token_len(text)}]}],
                                     "tstamp": 1700000000.0}))
        (arena / "model_answer" / f"{model}.jsonl").write_text("\n".join(lines) + "\n")
    files = ["model_answer/" + f"{m}.jsonl" for m in MODELS]
    for model, (q, verb, md) in MODELS.items():
        if model == BASELINE:
            continue
        lines = []
        for qid, topic in zip(qids, TOPICS):
            # The fictional judge: quality, plus a bonus for length and markdown (style), plus noise.
            def strength(m):
                mq, mv, mmd = MODELS[m]
                return mq + 0.18 * mv + (0.5 if mmd else 0.0)
            games = []
            for g in range(2):
                first, second = (BASELINE, model) if g == 0 else (model, BASELINE)
                d = strength(first) - strength(second) + rng.gauss(0, 1.5) + 0.15  # a slight preference for the answer shown first
                lab = label(d)
                games.append({"user_prompt": f"<|User Prompt|>\nExplain {topic} to a curious student.",
                              "judgment": f"Comparing both assistants on {topic}.\n\nMy final verdict is: [[{lab}]]",
                              "score": lab})
            lines.append(json.dumps({"question_id": qid, "model": model, "judge": JUDGE, "games": games}))
        (arena / JUDGE / f"{model}.jsonl").write_text("\n".join(lines) + "\n")
        files.append(f"{JUDGE}/{model}.jsonl")
    (arena / "manifest.json").write_text(json.dumps({"baseline": BASELINE, "judge": JUDGE, "files": files}, indent=1) + "\n")

    # ── SOS: a wide results CSV and a judge CSV ─────────────────────────────────────────────────────
    mapping = tomllib.loads((ROOT / "crates/substance-sos/data/sos_mapping.toml").read_text())
    cols = []
    for b in mapping["benchmark"]:
        if b.get("source") == "results":
            for c in b["columns"]:
                cols.append((c["column"], b["factor"], c.get("num_choices")))
    sos = HERE / "sos"
    sos.mkdir(parents=True, exist_ok=True)
    models = [f"example-lm-{i:02d}" for i in range(1, 13)]
    rows = []
    judge_rows = []
    for m in models:
        wk, ifo, safe, style = (rng.uniform(0, 1) for _ in range(4))
        row = {"Name": m}
        for col, factor, k in cols:
            chance = 1 / k if k else 0.0
            latent = {"wk": wk, "if": ifo, "safety": safe}[factor]
            val = chance + (1 - chance) * min(1, max(0, 0.15 + 0.7 * latent + rng.gauss(0, 0.05)))
            row[col] = f"{val:.4f}"
        rows.append(row)
        # The judge: mostly style, some instruction following, no knowledge or safety.
        score = 100 / (1 + math.exp(-(2.2 * style + 1.2 * ifo - 1.7 + rng.gauss(0, 0.3))))
        judge_rows.append((m, score))
    header = ["Name"] + [c for c, _, _ in cols]
    (sos / "results.csv").write_text(",".join(header) + "\n" + "\n".join(",".join(r[h] for h in header) for r in rows) + "\n")
    jl = ["model,score,rating_q025,rating_q975,CI"]
    for m, s in judge_rows:
        jl.append(f"{m},{s:.1f},{s - 2.5:.1f},{s + 2.4:.1f},\"(-2.5, +2.4)\"")
    (sos / "judge.csv").write_text("\n".join(jl) + "\n")


if __name__ == "__main__":
    main()
