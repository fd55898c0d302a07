"""Peer side of `cargo xtask bench model` / `bench web`: the OPT-125m-shaped model every engine runs.

usage: python make_opt.py PERF_DIR

Writes, into PERF_DIR (git-ignored, under target/perf/):
  opt125m-random/{config.json,generation_config.json,model.safetensors}
      `OPTForCausalLM(OPTConfig())` under `torch.manual_seed(0)`, fp32 (the architecture of facebook/opt-125m,
      random weights; bit-reproducible only with the same torch/transformers versions, which xtask pins).
  inputs.json
      the token ids every engine gets: a 32-token prompt (numpy default_rng(0), ids in [4, 50000)) and an
      8x128 scoring batch (default_rng(1)), plus the number of tokens to generate (128).
  torch_prefill.f32, torch.json
      PyTorch's fp32 logits for the prompt ([32, 50272] little-endian float32, one thread), its greedy
      128-token continuation, and the log-likelihood of each scoring row (continuation = tokens 1..127 given
      token 0, summed log-softmax): the reference the Rust side compares every engine with.
  opt125m-wordlevel-tokenizer.json
      a `tokenizers` WordLevel tokenizer whose word "t<i>" is id i (whitespace split): the random model has
      no tokenizer, and the browser package takes text, so `bench web` writes the ids as "t<i>" words and
      gets exactly those ids back.
"""

import hashlib
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import OPTConfig, OPTForCausalLM

out = sys.argv[1]
model_dir = os.path.join(out, "opt125m-random")
torch.set_num_threads(1)
torch.manual_seed(0)
model = OPTForCausalLM(OPTConfig()).eval().to(torch.float32)
model.save_pretrained(model_dir, safe_serialization=True)
model.generation_config.save_pretrained(model_dir)

prompt = np.random.default_rng(0).integers(4, 50000, size=32).tolist()
batch = np.random.default_rng(1).integers(4, 50000, size=(8, 128)).tolist()
with open(os.path.join(out, "inputs.json"), "w") as f:
    json.dump({"prompt": prompt, "batch": batch, "new_tokens": 128}, f)

ids = torch.tensor([prompt])
with torch.no_grad():
    logits = model(input_ids=ids).logits[0].float().numpy()
    gen = model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=128,
        min_new_tokens=128,
        do_sample=False,
    )
with torch.no_grad():
    b = torch.tensor(batch)
    lp = torch.log_softmax(model(input_ids=b).logits.double(), dim=-1)
    batch_loglik = lp[:, :-1].gather(-1, b[:, 1:, None])[..., 0].sum(-1).tolist()
logits.astype("<f4").tofile(os.path.join(out, "torch_prefill.f32"))
with open(os.path.join(model_dir, "model.safetensors"), "rb") as f:
    sha = hashlib.sha256(f.read()).hexdigest()
ref = {
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "params": sum(p.numel() for p in model.parameters()),
    "safetensors_sha256": sha,
    "tokens": gen[0, len(prompt):].tolist(),
    "batch_loglik": batch_loglik,
}
with open(os.path.join(out, "torch.json"), "w") as f:
    json.dump(ref, f)
print(json.dumps({k: v for k, v in ref.items() if k not in ("tokens", "batch_loglik")}))

vocab = {f"t{i}": i for i in range(model.config.vocab_size)}
tok = {
    "version": "1.0",
    "truncation": None,
    "padding": None,
    "added_tokens": [],
    "normalizer": None,
    "pre_tokenizer": {"type": "WhitespaceSplit"},
    "post_processor": None,
    "decoder": None,
    "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "t3"},
}
with open(os.path.join(out, "opt125m-wordlevel-tokenizer.json"), "w") as f:
    json.dump(tok, f)
