#!/usr/bin/env python3
"""GPQA as the Open LLM Leaderboard v2 runs it (lm-eval `leaderboard_gpqa_{diamond,extended,main}` at
74d23a67, the commit SOS-Bench's results name): synthetic fixtures in the dataset's CSV layout and the
requests, choice orders and golds the harness's own code gives them.

    git -C /path/to/lm-evaluation-harness archive 74d23a67 lm_eval/tasks/leaderboard/gpqa | tar -x -C /tmp/gpqa
    /tmp/venv-lmeval/bin/pip install pandas   # besides lm-eval 0.4.9 (--no-deps), pyyaml, jinja2
    /tmp/venv-lmeval/bin/python scripts/gpqa_reference.py /tmp/gpqa/lm_eval/tasks/leaderboard/gpqa \
        crates/substance-suite/tests/fixtures/gpqa

The fixtures are original text (no GPQA question is shipped) with the official row counts (diamond 198,
extended 546, main 448): the choice order depends on how many draws came before. They carry the
quirks the harness meets: ` [title]`, bracketed notes, double spaces, padding, newlines, an incorrect
answer equal to the correct one, empty cells and pandas' NA strings (`None`, `N/A`, `NA`).

The reference: the CSVs read with pandas' defaults as Hugging Face `datasets`' CSV builder reads them
(an NA cell is None), Python's global `random` seeded 0 as lm-eval's `simple_evaluate` does
(`random_seed=0`), then the 74d23a67 `utils.process_docs` applied to diamond, extended and main in
that order (the order of `_leaderboard_gpqa.yaml`, in which the tasks are built; each task's
`process_docs` runs when it is built, and a later `eval_docs` is served from the datasets cache), each
row in file order, `map` merging the returned fields into the row. Prompts are the task's `doc_to_text`
rendered by lm-eval 0.4.9's own `apply_template`; the gold is `doc_to_target` (`answer`) indexed in
`doc_to_choice`; continuations are the default `target_delimiter` " " plus each choice.
"""
import hashlib
import json
import os
import random
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lmeval_local import harness_path, load_module, load_yaml  # noqa: E402

SUBSETS = [("diamond", 198), ("extended", 546), ("main", 448)]
COLUMNS = ["Record ID", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
           "Incorrect Answer 3", "Subdomain"]


def sha(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def synthetic(subset, n):
    """Original rows with the dataset's columns; a private generator, so the global stream is untouched."""
    g = random.Random(f"gpqa-fixture-{subset}")
    rows = []
    for i in range(n):
        a, b = g.randint(2, 99), g.randint(2, 99)
        q = f"In the {subset} set, item {i}: what is {a} plus {b}?"
        if i % 11 == 0:
            q += "\nShow the value only."
        correct = f"{a + b}"
        wrong = [f"{a + b + d}" for d in (1, -1, 10)]
        if i % 7 == 0:
            correct = f"The sum [title] {a + b}"
        if i % 13 == 0:
            wrong[0] = f"roughly {a + b + 1} [approximately]  off"
        if i % 17 == 0:
            correct = f"  {correct}  "
        if i % 19 == 0:
            wrong[1] = f"{a}  +  {b}   minus one"
        if i % 23 == 0:
            wrong[2] = "None"
        if i % 29 == 0:
            wrong[1] = ""
        if i % 31 == 0:
            wrong[0] = "N/A"
        if i % 37 == 0:
            wrong[2] = correct.strip()
        if i % 41 == 0:
            correct = f"first line [a\nb] {a + b}"
        if i % 43 == 0:
            wrong[0] = "NA"
        rows.append({"Record ID": f"rec{subset[:1]}{i:04d}", "Question": q, "Correct Answer": correct,
                     "Incorrect Answer 1": wrong[0], "Incorrect Answer 2": wrong[1],
                     "Incorrect Answer 3": wrong[2], "Subdomain": "Arithmetic"})
    return rows


class Rows(list):
    """The part of a `datasets.Dataset` that `process_docs` uses: `map` in row order, fields merged."""

    def map(self, f):
        return Rows({**d, **f(d)} for d in self)


def main():
    folder, out = sys.argv[1], sys.argv[2]
    lm_utils_path = harness_path("utils.py")
    ds = types.ModuleType("datasets")
    ds.Dataset = Rows
    sys.modules.setdefault("datasets", ds)
    import pandas as pd
    utils = load_module(os.path.join(folder, "utils.py"), "gpqa_utils")
    lm_utils = load_module(lm_utils_path, "lm_eval_utils")
    template = load_yaml(os.path.join(folder, "_template_yaml"))
    os.makedirs(out, exist_ok=True)
    tables = {}
    for subset, n in SUBSETS:
        path = os.path.join(out, f"gpqa_{subset}.csv")
        pd.DataFrame(synthetic(subset, n), columns=COLUMNS).to_csv(path, index=False)
        df = pd.read_csv(path)
        tables[subset] = Rows(df.astype(object).where(df.notna(), None).to_dict("records"))
    random.seed(0)  # lm-eval simple_evaluate(random_seed=0)
    processed = {s: utils.process_docs(tables[s]) for s, _ in SUBSETS}
    choices = template["doc_to_choice"]
    result = {"source": "EleutherAI/lm-evaluation-harness@74d23a67 lm_eval/tasks/leaderboard/gpqa",
              "doc_to_text": template["doc_to_text"], "choices": choices, "subsets": {}}
    for subset, n in SUBSETS:
        items = []
        for i, doc in enumerate(processed[subset]):
            context = lm_utils.apply_template(template["doc_to_text"], doc)
            target = doc[template["doc_to_target"]]
            item = {"id": doc["Record ID"], "gold": choices.index(target),
                    "choices": [doc[f"choice{k}"] for k in range(1, 5)],
                    "context_sha256": sha(context)}
            if i < 3 or i % 41 == 0:
                item["context"] = context
            items.append(item)
        assert len(items) == n
        result["subsets"][subset] = {"file": f"gpqa_{subset}.csv", "items": items}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
