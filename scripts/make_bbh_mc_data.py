#!/usr/bin/env python3
"""Write the prompt strings of the Open LLM Leaderboard's BBH multiple-choice tasks as data.

    git -C /path/to/lm-evaluation-harness archive 74d23a67 lm_eval/tasks/leaderboard/bbh_mc | tar -x -C /tmp/bbh
    python3 scripts/make_bbh_mc_data.py /tmp/bbh/lm_eval/tasks/leaderboard/bbh_mc \
        > crates/substance-suite/data/leaderboard_bbh_mc.json

lm-evaluation-harness's `tasks/leaderboard/bbh_mc` at 74d23a67 (the commit SOS-Bench's results name;
MIT licence, EleutherAI) defines, per subtask, a description, the list of choices and three few-shot
samples inline, and in `_fewshot_template_yaml` the item template. They are read with PyYAML (as the
harness reads them) and written as they are: the `bbh-mc` importer (crates/substance-suite/src/import/
bbh_mc.rs) embeds this file. Later harness versions changed the descriptions (no trailing newline in
0.4.9), so the commit matters.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lmeval_local import load_yaml  # noqa: E402

def main():
    folder = sys.argv[1]
    template = load_yaml(os.path.join(folder, "_fewshot_template_yaml"))
    tasks = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".yaml") or name.startswith("_"):
            continue
        t = load_yaml(os.path.join(folder, name))
        assert t["include"] == "_fewshot_template_yaml", name
        assert t["fewshot_config"]["sampler"] == "first_n", name
        tasks[t["dataset_name"]] = {
            "task": t["task"],
            "description": t["description"],
            "choices": t["doc_to_choice"],
            "fewshot": [[s["input"], s["target"]] for s in t["fewshot_config"]["samples"]],
        }
    out = {
        "source": "EleutherAI/lm-evaluation-harness@74d23a67 lm_eval/tasks/leaderboard/bbh_mc (MIT licence, Copyright (c) 2020 EleutherAI)",
        "doc_to_text": template["doc_to_text"],
        "num_fewshot": template["num_fewshot"],
        "target_delimiter": template.get("target_delimiter", " "),
        "fewshot_delimiter": template.get("fewshot_delimiter", "\n\n"),
        "metric": [m["metric"] for m in template["metric_list"]],
        "tasks": tasks,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
