#!/usr/bin/env python3
"""Real inspect_ai logs for the substance-verify fixtures (run by hand, not in CI).

    python3 -m venv /tmp/inspect-venv && /tmp/inspect-venv/bin/pip install inspect_ai==0.3.285
    /tmp/inspect-venv/bin/python scripts/inspect/make_fixtures.py

runs a small task with inspect_ai itself, offline (the `mockllm/model` provider with scripted
outputs), and writes its logs to tests/fixtures/inspect/: the same run as `.eval` (zip, zstd members,
the current default) and as `.json`, plus one `.eval` with deflate members (INSPECT_USE_ZSTD unset is
not enough in this version, so it is rewritten by this script member for member with
ZIP_DEFLATED, as versions 0.3.43-0.3.205 wrote it). The results in the logs are inspect_ai's own
computation (`eval_results`): the reference the Rust reader is tested against.

The task exercises what the reader recomputes: three epochs reduced by mean, max, mode, median,
at_least_2 and pass_at_2; `match()` (C/I, accuracy + stderr), a scorer of C/P/I/N letters, a numeric
scorer with mean/stderr/std/var and bootstrap_stderr, an unscored (NaN) sample, and a dict-valued
scorer with per-key metrics.
"""
import math
import os
import shutil
import sys
import zipfile

from inspect_ai import Epochs, Task, eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import (Score, Target, accuracy, bootstrap_stderr, match, mean, scorer, std,
                               stderr, var)
from inspect_ai.solver import TaskState, generate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "inspect")

N = 8
EPOCHS = 3
SAMPLES = [Sample(id=f"q{i}", input=f"What is {i} + {i}? Answer with the number.", target=str(2 * i))
           for i in range(N)]


@scorer(metrics=[accuracy(), stderr()])
def letters():
    async def score(state: TaskState, target: Target):
        i = int(state.sample_id[1:])
        e = state.epoch
        return Score(value="CPIN"[(i + e) % 4], answer=state.output.completion)
    return score


@scorer(metrics=[mean(), stderr(), std(), var(), bootstrap_stderr(num_samples=200)])
def closeness():
    async def score(state: TaskState, target: Target):
        i = int(state.sample_id[1:])
        if i == 5:
            return Score(value=math.nan, explanation="unscored")
        return Score(value=((i * 7 + state.epoch * 3) % 10) / 4.0)
    return score


@scorer(metrics={"*": [mean(), stderr()]})
def rubric():
    async def score(state: TaskState, target: Target):
        i = int(state.sample_id[1:])
        return Score(value={"style": (i % 3) / 2, "substance": float((i + state.epoch) % 2)})
    return score


def mock_model():
    replies = []
    # the mock model answers in call order: make the answer depend only on the call index so
    # `match()` gives a mix of C and I whatever the order
    for k in range(N * EPOCHS):
        out = ModelOutput.from_content("mockllm/model", str(k % 5))
        # usage given, so the mock provider does not fetch a tiktoken table to count tokens (offline)
        out.usage = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)
        replies.append(out)
    return get_model("mockllm/model", custom_outputs=replies)


def main():
    task = Task(dataset=SAMPLES, solver=[generate()], scorer=[match(), letters(), closeness(), rubric()],
                epochs=Epochs(EPOCHS, ["mean", "max", "mode", "median", "at_least_2", "pass_at_2"]),
                name="arith")
    tmp = os.path.join(OUT, "_tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(OUT, exist_ok=True)
    for fmt in ("eval", "json"):
        logs = inspect_eval(task, model=mock_model(), log_dir=tmp, log_format=fmt, display="none",
                            max_connections=1, max_samples=1)
        assert logs[0].status == "success", logs[0].error
    names = sorted(os.listdir(tmp))
    for n in names:
        ext = n.rsplit(".", 1)[1]
        shutil.copy(os.path.join(tmp, n), os.path.join(OUT, f"arith.{ext}"))
    # the same .eval with deflate members
    with zipfile.ZipFile(os.path.join(OUT, "arith.eval")) as src, \
            zipfile.ZipFile(os.path.join(OUT, "arith-deflate.eval"), "w", zipfile.ZIP_DEFLATED,
                            compresslevel=5) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    shutil.rmtree(tmp)
    import inspect_ai
    with open(os.path.join(OUT, "VERSION"), "w") as f:
        f.write(f"inspect_ai {inspect_ai.__version__}, python {sys.version.split()[0]}\n")
    print("wrote", OUT, sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
