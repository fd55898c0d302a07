#!/usr/bin/env python3
"""Reference prompts for the MuSR importer (`substance suite import --format musr`), made with
lm-evaluation-harness's own code.

    python3 -m venv /tmp/venv-lmeval && /tmp/venv-lmeval/bin/pip install --no-deps lm-eval==0.4.9 pyyaml
    /tmp/venv-lmeval/bin/python scripts/musr_reference.py ../shared/data/musr \
        > crates/substance-suite/tests/fixtures/musr_reference.json

For each of the three splits of the MuSR repository's small datasets (`small_*.json`, a list of
stories `{context, questions}`), every question becomes the row the Hugging Face dataset
`TAUR-Lab/MuSR` holds (`narrative` = the story's context, `question`, `choices` = `str(list)`,
`answer_index`, `answer_choice`), and the request is built with the harness's own task files of
`lm_eval/tasks/leaderboard/musr` as installed: `utils.doc_to_text` for the context,
`utils.doc_to_choice` for the choices, `answer_choice` (the `doc_to_target` template) indexed in the
choices for the gold, and the task's `target_delimiter` (lm-eval's default `" "`: the task files set
none, at the commit SOS-Bench names, 74d23a67, as in 0.4.9) before each choice. The task is
zero-shot without a description, so the context is `doc_to_text(doc)` as it is.

The fixture holds sha256 digests of every context and continuation, not the texts (the data is not
shipped), plus the gold index; `crates/substance-suite/tests/real_data.rs` imports the same
files with the Rust importer and compares.
"""
import ast
import importlib.metadata
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lmeval_local import harness_path, load_module, load_yaml, sha  # noqa: E402

TASK_DIR = harness_path("tasks", "leaderboard", "musr")

SPLITS = {
    "murder_mysteries": "small_murder_mystery.json",
    "object_placements": "small_object_placements.json",
    "team_allocation": "small_team_allocation.json",
}





def main():
    data = sys.argv[1]
    utils = load_module(os.path.join(TASK_DIR, "utils.py"), "musr_utils")
    template = load_yaml(os.path.join(TASK_DIR, "_template_yaml"))
    # lm-eval's TaskConfig default when the task file sets none (as at 74d23a67 and in 0.4.9)
    delim = template.get("target_delimiter", " ")
    assert template["doc_to_target"] == "{{answer_choice}}", template["doc_to_target"]
    out = {"lm_eval": importlib.metadata.version("lm-eval"),
           "target_delimiter": delim, "splits": {}}
    for split, name in SPLITS.items():
        with open(os.path.join(data, name)) as f:
            stories = json.load(f)
        rows = []
        for s, story in enumerate(stories):
            questions = story["questions"]
            if isinstance(questions, str):
                questions = ast.literal_eval(questions)
            for q, question in enumerate(questions):
                doc = {
                    "narrative": story["context"],
                    "question": question["question"],
                    "choices": str(question["choices"]),
                    "answer_index": question["answer"],
                    "answer_choice": question["choices"][question["answer"]],
                }
                choices = utils.doc_to_choice(doc)
                rows.append({
                    "id": f"{s + 1}-{q + 1}",
                    "context_sha256": sha(utils.doc_to_text(doc)),
                    "continuations_sha256": [sha(delim + c) for c in choices],
                    "gold": choices.index(doc["answer_choice"]),
                })
        out["splits"][split] = {"file": name, "items": rows}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
