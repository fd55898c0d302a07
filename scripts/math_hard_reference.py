#!/usr/bin/env python3
"""The Open LLM Leaderboard's MATH-hard task (`leaderboard_math_*_hard`) as lm-evaluation-harness runs
it at 74d23a67, the commit SOS-Bench's results name: its prompt strings as data, and reference values.

    git -C /path/to/lm-evaluation-harness archive 74d23a67 lm_eval/tasks/leaderboard/math | tar -x -C /tmp/mathh
    python3 -m venv /tmp/venv-lmeval && /tmp/venv-lmeval/bin/pip install --no-deps lm-eval==0.4.9 \
        && /tmp/venv-lmeval/bin/pip install pyyaml jinja2 numpy sympy antlr4-python3-runtime==4.11
    P=/tmp/venv-lmeval/bin/python; M=/tmp/mathh/lm_eval/tasks/leaderboard/math
    $P scripts/math_hard_reference.py data $M > crates/substance-suite/data/leaderboard_math_hard.json
    $P scripts/math_hard_reference.py reference $M crates/substance-score/tests/fixtures/math_hard \
        > crates/substance-score/tests/fixtures/math_hard/reference.json

`data`: the task's four few-shot samples (`utils.list_fewshot_samples`, sampler `first_n`), its
`doc_to_text` around the problem, the generation settings and the subtask list, read from the task
files as they are (MIT licence, EleutherAI); the `math-hard` importer embeds the file.

`reference`: for the small original fixture (`algebra.jsonl`, lighteval/MATH-Hard's schema) every
item's request as the harness builds it — lm-eval 0.4.9's own `ContextSampler` (samplers.py) over the
task's few-shot samples with the task's `doc_to_target` template rendered by lm-eval's `apply_template`,
then `utils.doc_to_text` of the item — its gold (`utils.process_docs`), and for every generation in
`responses.json` the task's own `utils.process_results` (sympy `parse_latex` + `simplify`) together
with the normalised answer. The 74d23a67 `utils.py` imports `datasets` and `lm_eval.utils` only for a
type and a logger; both are stubbed so that the `lm_eval` package (torch) is not imported.
"""
import json
import logging
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lmeval_local import harness_path, load_module, load_yaml  # noqa: E402

SOURCE = ("EleutherAI/lm-evaluation-harness@74d23a67 lm_eval/tasks/leaderboard/math "
          "(MIT licence, Copyright (c) 2020 EleutherAI)")


def stubs():
    ds = types.ModuleType("datasets")
    ds.Dataset = type("Dataset", (), {})
    sys.modules.setdefault("datasets", ds)
    pkg = types.ModuleType("lm_eval")
    pkg.__path__ = []
    utils = types.ModuleType("lm_eval.utils")
    utils.eval_logger = logging.getLogger("lm-eval")
    sys.modules["lm_eval"] = pkg
    sys.modules["lm_eval.utils"] = utils


def task_files(folder):
    template = load_yaml(os.path.join(folder, "_template_yaml"))
    subtasks = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith("math_") and name.endswith(".yaml"):
            t = load_yaml(os.path.join(folder, name))
            assert t["include"] == "_template_yaml", name
            subtasks[t["dataset_name"]] = t["task"]
    return template, subtasks


def main():
    mode, folder = sys.argv[1], sys.argv[2]
    lm_utils_path, samplers_path = harness_path("utils.py"), harness_path("api", "samplers.py")
    stubs()
    utils = load_module(os.path.join(folder, "utils.py"), "math_utils")
    template, subtasks = task_files(folder)
    fc = template["fewshot_config"]
    assert fc["sampler"] == "first_n" and fc["samples"] == "utils.list_fewshot_samples", fc
    delims = {"target_delimiter": template.get("target_delimiter", " "),
              "fewshot_delimiter": template.get("fewshot_delimiter", "\n\n")}
    if mode == "data":
        marker = "\u0000PROBLEM\u0000"
        before, after = utils.doc_to_text({"problem": marker}).split(marker)
        gk = template["generation_kwargs"]
        out = {
            "source": SOURCE,
            "doc_to_text": [before, after],
            "num_fewshot": template["num_fewshot"],
            **delims,
            "until": gk["until"],
            "max_gen_toks": gk["max_gen_toks"],
            "fewshot": [{"problem": s["problem"], "solution": s["solution"]}
                        for s in utils.list_fewshot_samples()],
            "subtasks": subtasks,
        }
        json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    fixtures = sys.argv[3]
    lm_utils = load_module(lm_utils_path, "lm_eval_utils")
    samplers = load_module(samplers_path, "lm_eval_samplers")
    config = types.SimpleNamespace(
        target_delimiter=delims["target_delimiter"], fewshot_delimiter=delims["fewshot_delimiter"],
        fewshot_config=fc, doc_to_choice=None, fewshot_split=None, test_split=template["test_split"])
    task = types.SimpleNamespace(
        _config=config,
        doc_to_text=utils.doc_to_text,
        doc_to_target=lambda doc: lm_utils.apply_template(template["doc_to_target"], doc),
        doc_to_choice=None)
    import random
    sampler = samplers.FirstNSampler(utils.list_fewshot_samples(), task, rnd=random.Random(1234))

    class Docs(list):
        def map(self, f):
            return Docs(f(d) for d in self)

    with open(os.path.join(fixtures, "algebra.jsonl")) as f:
        raw = Docs(json.loads(line) for line in f if line.strip())
    docs = utils.process_docs(raw)
    items = []
    for i, doc in enumerate(docs):
        context = sampler.get_context(doc, template["num_fewshot"]) + utils.doc_to_text(doc)
        items.append({"id": i, "context": context, "gold": doc["answer"]})
    with open(os.path.join(fixtures, "responses.json")) as f:
        responses = json.load(f)
    scored = []
    for index, text in responses:
        doc = docs[index]
        answer = utils.normalize_final_answer(utils.get_unnormalized_answer(text))
        scored.append({"item": index, "answer": answer,
                       "exact_match": utils.process_results(doc, [text])["exact_match"]})
    json.dump({"source": SOURCE, "items": items, "responses": scored}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
