"""Reference requests of the SOS fork's safety tasks (walledai sets, Toxigen, WMDP) on the small original fixtures in
crates/substance-suite/tests/fixtures/walledai/, written to reference.json there.

Usage: python scripts/sos_safety_reference.py FORK_DIR
  FORK_DIR: a checkout of github.com/penfever/lm-evaluation-harness (the SOS-Bench fork); its task YAMLs
  lm_eval/tasks/<task>/<task>.yaml are read as they are. Prompts are rendered with lm-eval's own Jinja
  `apply_template` (lm-eval 0.4.9, `pip install --no-deps lm-eval==0.4.9`, loaded by path, see
  lmeval_local.py). The gold follows the fork's ConfigurableTask: `doc_to_target` is a field name (the
  raw value) or a template (rendered; digits become an int); `process_results` then takes an int (a
  bool is one: isinstance(True, int)) as the choice index and looks a string up among the choices.
  Toxigen's target is the fork's own `utils.doc_to_target` (loaded from FORK_DIR; numpy); WMDP's task
  file includes `_default_template_yaml` and prepends its rendered `description`.
  Continuations are the target delimiter " " plus each choice.
"""
import ast
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
    "toxigen": ("toxigen", "toxigen.jsonl"),
    "saladbench": ("saladbench", "saladbench.jsonl"),
    "wmdp": ("wmdp/wmdp_chem", "wmdp-chem.json"),
}


def task_config(fork, task):
    """A task YAML with its `include` merged under it (the task's own keys win)."""
    folder, _, name = task.rpartition("/")
    folder = folder or task
    path = os.path.join(fork, "lm_eval", "tasks", folder, f"{name}.yaml")
    cfg = load_yaml(path)
    if "include" in cfg:
        base = load_yaml(os.path.join(os.path.dirname(path), cfg.pop("include")))
        base.update(cfg)
        cfg = base
    return cfg, os.path.dirname(path)


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
        cfg, folder = task_config(fork, task)
        target = cfg["doc_to_target"]
        items = []
        for doc in records(os.path.join(here, file)):
            choices = cfg["doc_to_choice"]
            if isinstance(choices, str):  # a template of a list (SaladBench), as ConfigurableTask reads it
                choices = ast.literal_eval(utils.apply_template(choices, doc))
            context = utils.apply_template(cfg.get("description", ""), doc) + utils.apply_template(
                cfg["doc_to_text"], doc
            )
            if str(target).startswith("utils."):
                fn = getattr(load_module(os.path.join(folder, "utils.py"), f"{name}_utils"), target[6:])
                gold = int(fn(doc))
            elif "{{" in str(target):
                gold = utils.apply_template(target, doc)
                if gold.isdigit():
                    gold = int(gold)
                elif len(gold) >= 2 and gold[0] == "[" and gold[-1] == "]":
                    gold = ast.literal_eval(gold)
            else:
                gold = doc[target]
            if isinstance(gold, list):  # several golds (SaladBench)
                gold = [i if i < len(choices) else -100 for i in gold]
            elif isinstance(gold, int):  # a bool too
                gold = int(gold) if gold < len(choices) else -100
            elif isinstance(gold, str):
                gold = choices.index(gold) if gold in choices else -100
            items.append({
                "context": context,
                "continuations": [" " + c for c in choices],
                "gold": gold,
            })
        out[name] = {"task": task, "file": file, "items": items}
    with open(os.path.join(here, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
