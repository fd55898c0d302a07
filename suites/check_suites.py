#!/usr/bin/env python3
"""Sanity checks for the bundled suites (stdlib only, Python >= 3.11).

    python3 suites/check_suites.py

Checks every `suites/<name>/suite.toml` and its JSONL files against the field sets of
`substance-core` (`SuiteSpec`, `Item`, `Instruction`), IDs, gold indices, IFEval kwargs typing,
and recomputes every answer of `sample-math` from the arithmetic written out below.
The Rust loader is the authority; this script only catches authoring mistakes early.
"""
import json
import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent
SPEC_KEYS = {"format", "name", "version", "description", "output_type", "prompt", "fewshot",
             "generation", "scorers", "data", "fewshot_data"}
PROMPT_KEYS = {"template", "description", "target_delimiter", "fewshot_delimiter", "chat"}
FEWSHOT_KEYS = {"n", "same_group"}
GENERATION_KEYS = {"max_tokens", "stop", "temperature"}
ITEM_KEYS = {"id", "input", "choices", "gold", "target", "group", "instructions", "meta"}

# IFEval instruction ids and the type of each kwarg (as in Google's input_data.jsonl).
IFEVAL = {
    "change_case:capital_word_frequency": {"capital_frequency": int, "capital_relation": str},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "combination:repeat_prompt": {"prompt_to_repeat": str},
    "combination:two_responses": {},
    "detectable_content:number_placeholders": {"num_placeholders": int},
    "detectable_content:postscript": {"postscript_marker": str},
    "detectable_format:constrained_response": {},
    "detectable_format:json_format": {},
    "detectable_format:multiple_sections": {"section_spliter": str, "num_sections": int},
    "detectable_format:number_bullet_lists": {"num_bullets": int},
    "detectable_format:number_highlighted_sections": {"num_highlights": int},
    "detectable_format:title": {},
    "keywords:existence": {"keywords": list},
    "keywords:forbidden_words": {"forbidden_words": list},
    "keywords:frequency": {"keyword": str, "frequency": int, "relation": str},
    "keywords:letter_frequency": {"letter": str, "let_frequency": int, "let_relation": str},
    "language:response_language": {"language": str},
    "length_constraints:nth_paragraph_first_word": {"num_paragraphs": int, "nth_paragraph": int,
                                                    "first_word": str},
    "length_constraints:number_paragraphs": {"num_paragraphs": int},
    "length_constraints:number_sentences": {"num_sentences": int, "relation": str},
    "length_constraints:number_words": {"num_words": int, "relation": str},
    "punctuation:no_comma": {},
    "startend:end_checker": {"end_phrase": str},
    "startend:quotation": {},
}
RELATION_KEYS = {"relation", "capital_relation", "let_relation"}

# sample-math: each answer recomputed from the numbers in its question.
MATH = {
    "math-01": 3 * 12 - 8,
    "math-02": 4 * 2 + 6 * 1,
    "math-03": 60 * 3 + 40 * 2,
    "math-04": 240 / 15,
    "math-05": (5 + 3) * 14,
    "math-06": (50 - 18) / 2,
    "math-07": 28 - 28 / 4,
    "math-08": -(-75 // 6),  # ceil: 12 boxes hold 72 eggs, so 13 are needed
    "math-09": 12 * 7 * 5,
    "math-10": 3 * 8 - 19,
    "math-11": (22 + 4) / 2,
    "math-12": 500 / 25,
    "math-13": 10 * 3 - 2 * 12,
    "math-14": 2 * (12 + 9) * 5,
    "math-15": 45 - 12 - 18,
    "math-16": 3 + 2 * 3 + (2 * 3 - 2),
    "math-17": 9 * 24 / 8,
    "math-18": 80 * (1 - 0.25),
    "math-19": 3 * 14 + 14,
    "math-20": (18 * 60 + 45 + 150) - 21 * 60,
    "math-21": 40 - (23 - 9 + 17),
    "math-22": 210 / 15,
    "math-23": 250 / 10 * 36,
    "math-24": 5 * (30 / 2 - 5),
    "math-25": 4 * 35 + 2 * 28 - 17,
    "math-26": 50 - (2 * 3 + 3 * 4),
    "math-27": 6 * 450 / 100,
    "math-28": 96 / 3 + 4,
    "math-29": 125 * 8 * 6,
    "math-30": (11 - 2) + 7,
    "fewshot-math-01": 6 * 9 - 7,
    "fewshot-math-02": 40 - 3 * 8,
    "fewshot-math-03": 1500 / (30 + 20),
}

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def load_jsonl(path):
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            err(f"{path}:{n}", "blank line")
            continue
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            err(f"{path}:{n}", f"invalid JSON: {e}")
    return rows


def check_item(where, item, spec, is_fewshot):
    extra = set(item) - ITEM_KEYS
    if extra:
        err(where, f"unknown fields {sorted(extra)}")
    if not isinstance(item.get("id"), str) or not item["id"]:
        err(where, "missing id")
    if not isinstance(item.get("input"), str) or not item["input"]:
        err(where, "missing input")
    if spec["output_type"] == "multiple_choice":
        choices, gold = item.get("choices", []), item.get("gold", [])
        if len(choices) < 2 or not all(isinstance(c, str) and c for c in choices):
            err(where, "needs >= 2 non-empty choices")
        if len(set(choices)) != len(choices):
            err(where, "duplicate choices")
        if not gold or not all(isinstance(g, int) and 0 <= g < len(choices) for g in gold):
            err(where, f"gold {gold} out of range")
        if is_fewshot and "target" in item and item["target"] != choices[gold[0]]:
            err(where, "few-shot target differs from the gold choice")
    for i, ins in enumerate(item.get("instructions", [])):
        w = f"{where} instructions[{i}]"
        if set(ins) - {"id", "kwargs"}:
            err(w, "unknown fields")
        kinds = IFEVAL.get(ins.get("id"))
        if kinds is None:
            err(w, f"unknown IFEval id {ins.get('id')!r}")
            continue
        kwargs = ins.get("kwargs", {})
        if set(kwargs) != set(kinds):
            err(w, f"kwargs {sorted(kwargs)} != {sorted(kinds)}")
        for k, v in kwargs.items():
            t = kinds.get(k)
            if t and not (isinstance(v, t) and not (t is int and isinstance(v, bool))):
                err(w, f"{k} should be {t.__name__}")
            if k in RELATION_KEYS and v not in ("at least", "less than"):
                err(w, f"{k} must be 'at least' or 'less than'")
        if ins["id"] == "combination:repeat_prompt" and not item["input"].startswith(
                kwargs.get("prompt_to_repeat", "\0")):
            err(w, "input must start with prompt_to_repeat")


def check_suite(folder):
    spec = tomllib.loads((folder / "suite.toml").read_text(encoding="utf-8"))
    where = folder / "suite.toml"
    for key, allowed in (("", SPEC_KEYS), ("prompt", PROMPT_KEYS), ("fewshot", FEWSHOT_KEYS),
                         ("generation", GENERATION_KEYS)):
        table = spec if not key else spec.get(key, {})
        if set(table) - allowed:
            err(where, f"unknown keys in [{key or 'top'}]: {sorted(set(table) - allowed)}")
    if spec.get("format") != 1:
        err(where, "format must be 1")
    if spec.get("name") != folder.name or not re.fullmatch(r"[a-z0-9_-]+", spec.get("name", "")):
        err(where, "name must match the folder and [a-z0-9_-]+")
    if spec.get("output_type") not in ("multiple_choice", "generate"):
        err(where, "bad output_type")
    if not spec.get("scorers"):
        err(where, "no scorers")
    items = load_jsonl(folder / spec.get("data", "items.jsonl"))
    pool = load_jsonl(folder / spec["fewshot_data"]) if "fewshot_data" in spec else []
    ids = set()
    for rows, is_fewshot in ((items, False), (pool, True)):
        for n, item in rows:
            w = f"{folder.name}:{item.get('id', n)}"
            check_item(w, item, spec, is_fewshot)
            if item.get("id") in ids:
                err(w, "duplicate id")
            ids.add(item.get("id"))
    n_shot = spec.get("fewshot", {}).get("n", 0)
    if n_shot > len(pool):
        err(where, f"fewshot.n = {n_shot} but the pool has {len(pool)}")
    if folder.name == "sample-math":
        for rows, is_fewshot in ((items, False), (pool, True)):
            for _, item in rows:
                expected = MATH.get(item["id"])
                if expected is None or expected != int(expected):
                    err(item["id"], "no integer arithmetic check")
                    continue
                target = item.get("target", "")
                got = target.rsplit("#### ", 1)[-1] if is_fewshot else target
                if is_fewshot and "\n#### " not in target:
                    err(item["id"], "worked solution must end with '#### <n>'")
                if got != str(int(expected)):
                    err(item["id"], f"target {got!r} != computed {int(expected)}")
    groups = {}
    for _, item in items:
        groups[item.get("group")] = groups.get(item.get("group"), 0) + 1
    print(f"{folder.name}: {len(items)} items, {len(pool)} few-shot, groups {groups}")
    return items


def main():
    suites = sorted(p.parent for p in ROOT.glob("*/suite.toml"))
    used = set()
    for folder in suites:
        for _, item in check_suite(folder):
            used.update(i["id"] for i in item.get("instructions", []))
    if any(f.name == "sample-instructions" for f in suites) and used != set(IFEVAL):
        print(f"note: IFEval ids not covered: {sorted(set(IFEVAL) - used)}")
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
