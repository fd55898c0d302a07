#!/usr/bin/env python3
"""Reference requests for the `bbh-mc` importer (the Open LLM Leaderboard's BBH multiple choice).

    python3 -m venv /tmp/venv-lmeval
    /tmp/venv-lmeval/bin/pip install --no-deps lm-eval==0.4.9 && /tmp/venv-lmeval/bin/pip install pyyaml jinja2 numpy
    git -C /path/to/lm-evaluation-harness archive 74d23a67 lm_eval/tasks/leaderboard/bbh_mc | tar -x -C /tmp/bbh
    /tmp/venv-lmeval/bin/python scripts/bbh_mc_reference.py /tmp/bbh/lm_eval/tasks/leaderboard/bbh_mc \
        ../shared/data/bbh/bbh 5 > crates/substance-suite/tests/fixtures/bbh_mc_reference.json

The task files are the harness's at 74d23a67 (the commit SOS-Bench names), read with PyYAML; the
templates (description, `doc_to_text`, `doc_to_target`) are rendered with the installed harness's own
`lm_eval.utils.apply_template` (Jinja, loaded from its file without importing the package, which would
pull in torch); the few-shot context is joined as `ContextSampler.get_context` joins it for the
`first_n` sampler over the task's inline samples (each sample's text, the target delimiter `" "`, its
target, the few-shot delimiter `"\\n\\n"`), after the description; the choices are the task's
`doc_to_choice` list after the target delimiter; the gold is the target's index in it. For the first N
examples of each of the 24 subtasks in the BBH repository's task files, the fixture holds sha256
digests of the context and continuations (no data text) and the gold.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lmeval_local import harness_path, load_module, load_yaml, sha  # noqa: E402

def main():
    tasks_dir, data_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    u = load_module(harness_path("utils.py"), "lm_eval_utils")
    template = load_yaml(os.path.join(tasks_dir, "_fewshot_template_yaml"))
    target_delim = template.get("target_delimiter", " ")
    fewshot_delim = template.get("fewshot_delimiter", "\n\n")
    out = {"harness_tasks": "74d23a67", "per_task": n, "tasks": {}}
    for name in sorted(os.listdir(tasks_dir)):
        if not name.endswith(".yaml") or name.startswith("_"):
            continue
        t = load_yaml(os.path.join(tasks_dir, name))
        cfg = {**template, **{k: v for k, v in t.items() if k != "include"}}
        choices = cfg["doc_to_choice"]
        shots = cfg["fewshot_config"]["samples"][: cfg["num_fewshot"]]
        labeled = ""
        for ex in shots:
            labeled += (u.apply_template(cfg["doc_to_text"], ex) + target_delim
                        + u.apply_template(cfg["doc_to_target"], ex) + fewshot_delim)
        with open(os.path.join(data_dir, cfg["dataset_name"] + ".json")) as f:
            examples = json.load(f)["examples"][:n]
        items = []
        for doc in examples:
            context = u.apply_template(cfg["description"], doc) + labeled + u.apply_template(cfg["doc_to_text"], doc)
            target = u.apply_template(cfg["doc_to_target"], doc)
            items.append({
                "context_sha256": sha(context),
                "continuations_sha256": [sha(target_delim + c) for c in choices],
                "gold": choices.index(target),
            })
        out["tasks"][cfg["dataset_name"]] = items
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
