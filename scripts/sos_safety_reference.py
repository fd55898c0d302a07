"""Reference requests of the SOS fork's walledai safety tasks on the small original fixtures in
crates/substance-suite/tests/fixtures/walledai/, written to reference.json there.

Usage: python scripts/sos_safety_reference.py FORK_DIR
  FORK_DIR: a checkout of github.com/penfever/lm-evaluation-harness (the SOS-Bench fork); its task YAMLs
  lm_eval/tasks/<task>/<task>.yaml are read as they are. Prompts are rendered with lm-eval's own Jinja
  `apply_template` (lm-eval 0.4.9, `pip install --no-deps lm-eval==0.4.9`, loaded by path, see
  lmeval_local.py). The gold follows the fork's ConfigurableTask: `doc_to_target` is a field name (the
  raw value) or a template (rendered; digits become an int); `process_results` then takes an int (a
  bool is one: isinstance(True, int)) as the choice index and looks a string up among the choices.
  Continuations are the target delimiter " " plus each choice.
"""
import json
import os
import sys

from lmeval_local import harness_path, load_module, load_yaml

TASKS = {
    "beavertails": ("beavertailseval", "beavertails.jsonl"),
    "cdna": ("cdna", "cdna.jsonl"),
    "dttoxicity": ("dttoxicity", "dttoxicity.json"),
    "jailbreakhub": ("jailbreakhub", "jailbreakhub.jsonl"),
    "sgxstest": ("sgxstest", "sgxstest.jsonl"),
    "wildguardtest": ("wildguardtest", "wildguardtest.jsonl"),
}


def records(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    fork = sys.argv[1]
    here = os.path.join(os.path.dirname(__file__), "..", "crates", "substance-suite", "tests", "fixtures", "walledai")
    utils = load_module(harness_path("utils.py"), "lm_eval_utils")
    out = {}
    for name, (task, file) in TASKS.items():
        cfg = load_yaml(os.path.join(fork, "lm_eval", "tasks", task, f"{task}.yaml"))
        choices = cfg["doc_to_choice"]
        target = cfg["doc_to_target"]
        items = []
        for doc in records(os.path.join(here, file)):
            context = utils.apply_template(cfg["doc_to_text"], doc)
            if "{{" in str(target):
                gold = utils.apply_template(target, doc)
                gold = int(gold) if gold.isdigit() else gold
            else:
                gold = doc[target]
            if isinstance(gold, int):  # a bool too
                gold = int(gold) if gold < len(choices) else -100
            elif isinstance(gold, str):
                gold = choices.index(gold) if gold in choices else -100
            items.append({
                "context": context,
                "continuations": [" " + c for c in choices],
                "gold": gold,
            })
        out[name] = {"task_yaml": f"lm_eval/tasks/{task}/{task}.yaml", "file": file, "items": items}
    with open(os.path.join(here, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
