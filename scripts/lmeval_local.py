"""Helpers shared by the reference scripts that run lm-evaluation-harness's own task code offline
(`musr_reference.py`, `mmlu_pro_leaderboard_reference.py`, `bbh_mc_reference.py`, `make_bbh_mc_data.py`).

The harness is installed with `pip install --no-deps lm-eval==0.4.9`: its task files and helper modules
are loaded from their files, without importing the `lm_eval` package (whose `__init__` pulls in the
evaluator, numpy and torch, which building prompts does not need).
"""
import hashlib
import importlib.util
import os

import yaml


def sha(s):
    """sha256 of a text, hex (fixtures hold digests, not the benchmarks' text)."""
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def harness_path(*parts):
    """A path inside the installed `lm_eval` package, found without importing it."""
    return os.path.join(os.path.dirname(importlib.util.find_spec("lm_eval").origin), *parts)


def load_module(path, name):
    """A Python file of the harness as a module (its task `utils.py`, `lm_eval/utils.py`)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class TaskLoader(yaml.SafeLoader):
    """PyYAML for task files: `!function utils.x` is read as its text."""


TaskLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def load_yaml(path):
    with open(path) as f:
        return yaml.load(f, Loader=TaskLoader)
