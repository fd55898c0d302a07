#!/usr/bin/env python3
"""Reference requests for the MMLU-Pro leaderboard importer (`substance suite import --format mmlu-pro`),
made with lm-evaluation-harness's own code.

    python3 -m venv /tmp/venv-lmeval && /tmp/venv-lmeval/bin/pip install --no-deps lm-eval==0.4.9 pyyaml
    /tmp/venv-lmeval/bin/python scripts/mmlu_pro_leaderboard_reference.py \
        ../shared/data/mmlu-pro/model_outputs_Meta-Llama-3_1-8B-Instruct_5shots.zip \
        crates/substance-suite/tests/fixtures/mmlu_pro_validation.jsonl 60 \
        > crates/substance-suite/tests/fixtures/mmlu_pro_reference.json

The test rows are the first N rows of MMLU-Pro's own prediction file (its `options` are a Python list
literal and `answer_index` a string there, read with `ast.literal_eval` and `int` into the dataset's
row); the validation rows are the repository's original fixture (`mmlu_pro_validation.jsonl`, written
for this test in the upstream schema, since the shared data has no validation split). Each request is
built as lm-eval 0.4.9 builds `leaderboard_mmlu_pro`'s: `utils.doc_to_text` and `utils.doc_to_choice`
from the installed `tasks/leaderboard/mmlu_pro`, `num_fewshot` and the `first_n` sampler from its
YAML, and the few-shot context exactly as `lm_eval.api.samplers.ContextSampler.get_context` joins it
(each example's text, the target delimiter `" "`, its `answer`, the few-shot delimiter `"\\n\\n"`);
the gold is `answer` indexed in the choices. The fixture holds sha256 digests (no data text).
"""
import ast
import importlib.metadata
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lmeval_local import harness_path, load_module, load_yaml, sha  # noqa: E402

TASK_DIR = harness_path("tasks", "leaderboard", "mmlu_pro")

def dataset_row(r):
    options = r["options"]
    if isinstance(options, str):
        options = ast.literal_eval(options)
    return {**r, "options": options, "answer_index": int(r["answer_index"])}


def main():
    archive, validation, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    utils = load_module(os.path.join(TASK_DIR, "utils.py"), "mmlu_pro_utils")
    cfg = load_yaml(os.path.join(TASK_DIR, "mmlu_pro.yaml"))
    assert cfg["fewshot_config"]["sampler"] == "first_n" and cfg["doc_to_target"] == "answer"
    shots, target_delim, fewshot_delim = cfg["num_fewshot"], " ", "\n\n"
    with open(validation) as f:
        val = [json.loads(l) for l in f if l.strip()]
    labeled = ""
    for ex in val[:shots]:
        labeled += utils.doc_to_text(ex) + target_delim + ex["answer"] + fewshot_delim
    with zipfile.ZipFile(archive) as z:
        name = [m for m in z.namelist() if m.endswith(".json")][0]
        rows = json.loads(z.read(name))[:n]
    items = []
    for r in rows:
        doc = dataset_row(r)
        choices = utils.doc_to_choice(doc)
        items.append({
            "id": str(doc["question_id"]),
            "context_sha256": sha(labeled + utils.doc_to_text(doc)),
            "continuations_sha256": [sha(target_delim + c) for c in choices],
            "gold": choices.index(doc["answer"]),
        })
    json.dump({"lm_eval": importlib.metadata.version("lm-eval"), "num_fewshot": shots,
               "archive": os.path.basename(archive), "member": name, "items": items},
              sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
