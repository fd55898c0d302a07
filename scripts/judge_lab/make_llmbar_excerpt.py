#!/usr/bin/env python3
"""Write the judge lab's excerpt of real recorded judgments: web/examples/llmbar/.

Source: princeton-nlp/LLMBar (MIT licence, copied beside the excerpt), `Dataset/LLMBar/Adversarial/
<subset>/evaluators/GPT-4/Vanilla/result.json` at commit 900616bff90b6c6c8e1681f7d079250637c55992: GPT-4
judging pairs in which one output follows the instruction and the other is an adversarially built
distractor (often longer, more fluent or more on-topic-looking), with both presentation orders recorded.

The excerpt keeps the first PER_SUBSET records of each of the four adversarial subsets, byte-for-byte
records of the upstream files (re-serialised with json.dumps, indent 1, ensure_ascii False), in the same
directory layout, so the page reads them with the same LLMBar reader (subset and evaluator come from the
path) as the full files. Deterministic; run from anywhere:

    python3 scripts/judge_lab/make_llmbar_excerpt.py [--data ../shared/data]
"""
import argparse
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "web/examples/llmbar"
SUBSETS = ["Neighbor", "GPTInst", "GPTOut", "Manual"]
EVALUATOR = "GPT-4/Vanilla"
PER_SUBSET = 12
COMMIT = "900616bff90b6c6c8e1681f7d079250637c55992"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    data = pathlib.Path(ap.parse_args().data) / "llmbar"
    if OUT.exists():
        shutil.rmtree(OUT)
    files = []
    for subset in SUBSETS:
        rel = f"LLMBar/Adversarial/{subset}/evaluators/{EVALUATOR}/result.json"
        records = json.loads((data / rel).read_text(encoding="utf-8"))[:PER_SUBSET]
        dest = OUT / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        files.append({"path": rel, "pairs": len(records),
                      "upstream": f"https://raw.githubusercontent.com/princeton-nlp/LLMBar/{COMMIT}/Dataset/{rel}"})
    shutil.copy(data / "LICENSE", OUT / "LICENSE")
    manifest = {
        "title": "LLMBar adversarial pairs with GPT-4's recorded verdicts (both orders)",
        "source": f"princeton-nlp/LLMBar @ {COMMIT}, Dataset/LLMBar/Adversarial/*/evaluators/{EVALUATOR}",
        "licence": "MIT (Copyright (c) 2023 Princeton Natural Language Processing; LICENSE beside this file)",
        "paper": "Zeng et al., Evaluating Large Language Models at Evaluating Instruction Following (ICLR 2024)",
        "excerpt": f"the first {PER_SUBSET} pairs of each adversarial subset",
        "files": files,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {sum(f['pairs'] for f in files)} pairs in {len(files)} files to {OUT}")


if __name__ == "__main__":
    main()
