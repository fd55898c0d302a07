"""Run the lm-eval 0.4.2 CLI unchanged, but let it load a GGUF checkpoint.

lm-eval 0.4.2's HFLM forwards unknown model_args (here gguf_file=...) to
AutoModelForCausalLM.from_pretrained only; AutoConfig and AutoTokenizer are
called without it and fail on a directory that holds just a .gguf file.
This wrapper adds gguf_file to those two calls.

lm-eval 0.4.2 also calls evaluate.load("exact_match") at import time, which
fetches a metric script from the Hugging Face Hub (unreachable here).  The
wrapper answers that one load with a local object whose compute() does the
same normalisation (regexes_to_ignore, then ignore_case / ignore_punctuation /
ignore_numbers, then string equality, mean) -- the computation later lm-eval
versions carry built in as exact_match_hf_evaluate.

Then it hands over to
lm_eval.__main__.cli_evaluate(), so results.json and the sample files are
written by lm-eval's own CLI code.  Usage: python old_cli.py <lm_eval args>
with gguf_file=<name> in --model_args.
"""

import re
import string
import sys

import evaluate
import numpy as np
import transformers


def _gguf_file_from_argv():
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == "--model_args" and i + 1 < len(argv):
            for kv in argv[i + 1].split(","):
                k, _, v = kv.partition("=")
                if k == "gguf_file":
                    return v
    return None


GGUF = _gguf_file_from_argv()


def _patch(cls):
    orig = cls.from_pretrained.__func__

    def from_pretrained(klass, *args, **kwargs):
        if GGUF and "gguf_file" not in kwargs:
            kwargs["gguf_file"] = GGUF
        return orig(klass, *args, **kwargs)

    cls.from_pretrained = classmethod(from_pretrained)


class _ExactMatch:
    """Stand-in for evaluate.load("exact_match")."""

    def compute(self, predictions, references, regexes_to_ignore=None,
                ignore_case=False, ignore_punctuation=False,
                ignore_numbers=False):
        preds = np.asarray(predictions)
        refs = np.asarray(references)
        for pat in regexes_to_ignore or []:
            preds = np.array([re.sub(pat, "", x) for x in preds])
            refs = np.array([re.sub(pat, "", x) for x in refs])
        if ignore_case:
            preds, refs = np.char.lower(preds), np.char.lower(refs)
        if ignore_punctuation:
            table = str.maketrans("", "", string.punctuation)
            preds = np.char.translate(preds, table=table)
            refs = np.char.translate(refs, table=table)
        if ignore_numbers:
            table = str.maketrans("", "", string.digits)
            preds = np.char.translate(preds, table=table)
            refs = np.char.translate(refs, table=table)
        return {"exact_match": np.mean(preds == refs)}


_orig_load = evaluate.load


def _load(path, *args, **kwargs):
    if path == "exact_match":
        return _ExactMatch()
    return _orig_load(path, *args, **kwargs)


evaluate.load = _load

_patch(transformers.AutoConfig)
_patch(transformers.AutoTokenizer)

from lm_eval.__main__ import cli_evaluate  # noqa: E402

if __name__ == "__main__":
    cli_evaluate()
