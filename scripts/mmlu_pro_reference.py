#!/usr/bin/env python3
"""Reference values for the MMLU-Pro verifier (crates/substance-verify/src/mmlu_pro.rs).

Runs MMLU-Pro's own answer extraction (the functions `extract_answer`, `extract_again`, `extract_final`
of its `evaluate_from_local.py`, taken from the upstream file with `ast` and executed unchanged) and its
2024 scoring rule (`random.seed(12345)` before every guess, as `save_res` did until Feb 2025) on the
prediction files, and writes per file: the extracted letter of every item ('-' where none), the exact
accuracy range left by random guesses, its expected value and the 2024 rule's accuracy, overall and per
category.

    git -C /work/.mirror/TIGER-AI-Lab+MMLU-Pro/repo show f418b11:evaluate_from_local.py > /tmp/eval.py
    python3 scripts/mmlu_pro_reference.py --upstream /tmp/eval.py \
        ../shared/data/mmlu-pro/*.zip > tests/fixtures/mmlu-pro/reference.json
    python3 scripts/mmlu_pro_reference.py --legacy-table   # the LEGACY_GUESS table in mmlu_pro.rs
"""
import argparse
import ast
import contextlib
import io
import json
import os
import random
import zipfile

LETTERS = "ABCDEFGHIJ"


def upstream_extractor(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    wanted = {"extract_answer", "extract_again", "extract_final"}
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in wanted]
    assert {f.name for f in funcs} == wanted, "upstream file lacks the extraction functions"
    module = ast.Module(body=[ast.Import(names=[ast.alias(name="re")])] + funcs, type_ignores=[])
    scope = {}
    exec(compile(ast.fix_missing_locations(module), path, "exec"), scope)

    def extract(text):
        with contextlib.redirect_stdout(io.StringIO()):  # extract_answer prints on a miss
            return scope["extract_answer"](text)

    return extract


def legacy_guess(n_options):
    random.seed(12345)
    return random.randint(0, n_options - 1)


def tally(items, preds):
    n = len(items)
    correct = sum(1 for e, p in zip(items, preds) if p is not None and p == e["answer"])
    none = [e for e, p in zip(items, preds) if p is None]
    guess = 0.0
    for e in none:
        guess += 1.0 / len(e["options"])
    legacy = correct + sum(1 for e in none if legacy_guess(len(e["options"])) == e["answer_index"])
    return {
        "n": n,
        "correct": correct,
        "unanswered": len(none),
        "lo": correct / n,
        "hi": (correct + len(none)) / n,
        "expected": (correct + guess) / n,
        "legacy": legacy / n,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", help="MMLU-Pro's evaluate_from_local.py")
    ap.add_argument("--legacy-table", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if a.legacy_table:
        print([legacy_guess(n) for n in range(1, 11)])
        return
    extract = upstream_extractor(a.upstream)
    out = {"upstream": "TIGER-AI-Lab/MMLU-Pro f418b11 evaluate_from_local.py", "files": {}}
    for path in a.files:
        with zipfile.ZipFile(path) as z:
            (inner,) = [n for n in z.namelist() if n.endswith(".json")]
            items = json.loads(z.read(inner))
        text_key = "model_outputs" if "model_outputs" in items[0] else "generated_text"
        preds = [extract(e[text_key]) for e in items]
        entry = tally(items, preds)
        entry["extracted"] = "".join(p or "-" for p in preds)
        cats = {}
        for cat in sorted({e["category"] for e in items}):
            idx = [i for i, e in enumerate(items) if e["category"] == cat]
            cats[cat] = tally([items[i] for i in idx], [preds[i] for i in idx])
        entry["categories"] = cats
        out["files"][os.path.basename(path)] = entry
    json.dump(out, __import__("sys").stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
