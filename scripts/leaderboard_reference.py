#!/usr/bin/env python3
"""Reference computations for the substance-leaderboard test fixtures (run by hand, not in CI).

    python3 scripts/leaderboard_reference.py            # regenerate every fixture
    SUBSTANCE_DATA=../shared/data python3 scripts/leaderboard_reference.py

The script creates its own virtual environment under /tmp (numpy, pandas, scikit-learn, patsy; versions are
recorded in the outputs) and re-executes itself there. It writes, under
crates/substance-leaderboard/tests/fixtures/:

arena_v01/judgments/judge-x/<model>.jsonl
    A synthetic Arena-Hard v0.1 judgment set (6 models + baseline gpt-4-0314, 40 questions, seeded), in the
    original layout: some games carry `score`, some only the judge text (the parser must re-extract the label
    with the v0.1 rule), some are null / unparseable / contradictory, so every battle rule is exercised.
arena_v01/answers/<model>.jsonl
    Synthetic answers in the @0489bf3 layout (`choices[0].turns[0].{content, token_len}`) with markdown in and
    outside code fences.
arena_v01/reference.json
    What the arena-hard-auto @0489bf3 code computes from them: battles (`get_battles_from_row`), the
    Bradley-Terry fit (`compute_mle_elo`: LogisticRegression(fit_intercept=False, penalty=None, tol=1e-8)),
    win rates (`get_win_rate_column`), the NumPy bootstrap (np.random.seed(42), 100 rounds), and style
    control (`construct_style_matrices` + `fit_bt`: LogisticRegression() with the default L2 C=1 and
    tol=1e-4, plus the same fit at tol=1e-12 to show the solver slack), and the markdown counts of every
    answer (`count_markdown_elements(remove_pattern(...))`).
arena_v2/judgments.jsonl, arena_v2/answers.jsonl, arena_v2/reference.json
    The same synthetic verdicts in the v2 layout (`uid`, `category`, `games[].judgment.answer`, answers with
    `metadata`), with what arena-hard-auto @196f6b8 computes: `load_judgments` battles (per-model counts and
    mean outcome) and the style-control design of `print_leaderboard_with_style_features` fitted to the exact
    maximum-likelihood estimate (float64 Newton; the reference's torch LBFGS is neither float64 nor run to
    convergence), giving the full-data win rates and style coefficients.
alpaca_lc/annotations.json, instruction_difficulty.csv, df_gamed.csv, reference.json
    A synthetic AlpacaEval set (3 models x 160 instructions, baseline "base-model") and the LC win rates of
    `get_length_controlled_winrate` (alpaca_eval @cd543a1 `metrics/glm_winrate.py`, with the hub files
    replaced by the local ones) for length_controlled_v1 / _noreg / _minimal.
alpaca_lc/real_minimal.json  (only when $SUBSTANCE_DATA has alpaca-eval/results)
    length_controlled_minimal of the real annotations as scikit-learn computes it (numbers only).

    python3 scripts/leaderboard_reference.py --bench DIR [--runs N]

is the peer of `cargo xtask bench leaderboard`: it reads the synthetic set that the substance-leaderboard
`bench` example dumps into DIR (`judgments.jsonl`, `metadata.jsonl`), times the v0.1 leaderboard as
show_result.py computes it (battles + compute_mle_elo + 100 bootstrap rounds; and with style control:
battles with metadata + construct_style_matrices + fit_bt + 100 bootstrap rounds), and writes DIR/peer.json
and the same as `key=value` lines in DIR/peer.txt: the timings and the point estimates (win rates: lbfgs as
the reference runs it, the Newton-polished MLE, the style-controlled fit at the reference's tol and at
tol=1e-12, and its exact minimiser by Newton's method). $SUBSTANCE_REF_VENV moves the virtual environment.

The reference functions below are re-written from the upstream code (same operations, same library calls);
the upstream files are cited above each one.
"""
import json
import os
import subprocess
import sys

VENV = os.path.abspath(os.environ.get("SUBSTANCE_REF_VENV", "/tmp/substance-leaderboard-ref-venv"))
REQUIREMENTS = ["numpy==2.4.6", "pandas==3.1.1", "scikit-learn==1.9.1", "patsy==1.0.3"]


def ensure_venv():
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([py, "-m", "pip", "install", "-q", *REQUIREMENTS])
    os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


ensure_venv()

import math  # noqa: E402
import warnings  # noqa: E402
import re  # noqa: E402
from glob import glob  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import patsy  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV  # noqa: E402
from sklearn.metrics import make_scorer  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "crates", "substance-leaderboard", "tests", "fixtures")
VERSIONS = {"numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
            "patsy": patsy.__version__}

# ----------------------------------------------------------------------------------------------------------
# Synthetic Arena-Hard v0.1 data

BASELINE = "gpt-4-0314"
MODELS = {  # name: (strength in logits vs the baseline, verbosity factor, markdown richness)
    "model-alpha": (-1.3, 0.6, 0.2),
    "model-beta": (-0.6, 0.9, 0.5),
    "model-gamma": (-0.1, 1.0, 1.0),
    "model-delta": (0.3, 1.4, 1.5),
    "model-epsilon": (0.8, 1.8, 2.0),
    "model-zeta": (1.4, 2.5, 2.5),
}
N_Q = 40
WORDS = "alpha beta gamma delta answer code value list item table result step note data model".split()


def make_answer_text(rng, richness):
    parts = []
    for _ in range(int(rng.integers(2, 7))):
        kind = rng.random()
        words = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 12))))
        if kind < 0.15 * richness:
            parts.append("#" * int(rng.integers(1, 5)) + " " + words.title())
        elif kind < 0.35 * richness:
            for k in range(int(rng.integers(1, 5))):
                bullet = rng.choice(["-", "*", "+", f"{k + 1}."])
                indent = " " * int(rng.integers(0, 3))
                parts.append(f"{indent}{bullet} {words} **{rng.choice(WORDS)}**")
        elif kind < 0.45:
            # markdown-looking lines inside a fence are stripped (by str.replace of the inner text)
            parts.append("```python\n# comment\n- not a list\n**x** = 1\n```")
        elif kind < 0.55:
            parts.append(f"Use __{rng.choice(WORDS)}__ and **{rng.choice(WORDS)}** here. {words}.")
        else:
            parts.append(words.capitalize() + ".")
    return "\n\n".join(parts)


def verdict_text(label):
    return f"My own answer first...\n\nComparison of the assistants.\n\nMy final verdict is: [[{label}]]"


def generate_arena(rng):
    qids = [f"{int(x):032x}" for x in rng.integers(0, 2**62, size=N_Q)]
    qdiff = rng.normal(0, 0.7, size=N_Q)
    judgments = {}
    for model, (strength, _, _) in MODELS.items():
        rows = []
        for qi, qid in enumerate(qids):
            games = []
            for g in range(2):
                # latent preference for the model in this game (+ position bias towards A)
                d = strength - qdiff[qi] + rng.logistic(0, 0.9) + (-0.15 if g == 0 else 0.15)
                if d > 1.6:
                    rel = ">>"  # model much better
                elif d > 0.45:
                    rel = ">"
                elif d > -0.45:
                    rel = "="
                elif d > -1.6:
                    rel = "<"
                else:
                    rel = "<<"
                # game 0: A = baseline, B = model; game 1: A = model, B = baseline
                label = {
                    (0, ">>"): "B>>A", (0, ">"): "B>A", (0, "="): "A=B", (0, "<"): "A>B", (0, "<<"): "A>>B",
                    (1, ">>"): "A>>B", (1, ">"): "A>B", (1, "="): "A=B", (1, "<"): "B>A", (1, "<<"): "B>>A",
                }[(g, rel)]
                u = rng.random()
                game = {"user_prompt": f"<|User Prompt|>\nquestion {qid}"}
                if u < 0.04:
                    game.update(judgment="I cannot decide.", score=None)
                elif u < 0.05:
                    game.update(judgment=verdict_text("A<B"), score="A<B")  # a label the rules drop
                elif u < 0.07:
                    # two distinct labels -> None under the v0.1 rule; no score key: parser must decide
                    game.update(judgment=verdict_text(label) + " or maybe [[A=B]]")
                    if label == "A=B":
                        game["judgment"] += " [[B>A]]"
                elif u < 0.30:
                    game.update(judgment=verdict_text(label) + f"\nAgain: [[{label}]]")  # no score key
                else:
                    game.update(judgment=verdict_text(label), score=label)
                games.append(game)
            rows.append({"question_id": qid, "model": model, "judge": "judge-x", "games": games})
        judgments[model] = rows
    answers = {}
    for model, (_, verbosity, richness) in {BASELINE: (0.0, 1.0, 1.0), **MODELS}.items():
        rows = []
        for qid in qids:
            text = make_answer_text(rng, richness)
            rows.append({
                "question_id": qid,
                "answer_id": f"{int(rng.integers(0, 2**62)):x}",
                "model_id": model,
                "choices": [{"index": 0, "turns": [{"content": text,
                                                    "token_len": int(rng.integers(60, 400) * verbosity)}]}],
                "tstamp": 1711397284.0,
            })
        answers[model] = rows
    return judgments, answers


# ----------------------------------------------------------------------------------------------------------
# arena-hard-auto @0489bf3 (gen_judgment.get_score, show_result.get_battles_from_row, utils_math.*,
# add_markdown_info.*), re-written.

def get_score_v01(judgment, pattern=re.compile(r"\[\[([AB<>=]+)\]\]")):
    matches = [m for m in pattern.findall(judgment) if m != ""]
    if len(set(matches)) == 1:
        return matches[0].strip("\n")
    return None


def count_markdown_elements(markdown_text):
    return {
        "header_count": {f"h{k}": len(re.findall(r"^#{%d}\s" % k, markdown_text, re.MULTILINE)) for k in range(1, 7)},
        "list_count": {
            "ordered": len(re.findall(r"^\s*\d+\.\s", markdown_text, re.MULTILINE)),
            "unordered": len(re.findall(r"^\s*[-*+]\s", markdown_text, re.MULTILINE)),
        },
        "bold_count": {
            "**": len(re.findall(r"\*\*[^*\n]+\*\*", markdown_text)),
            "__": len(re.findall(r"__[^_\n]+__", markdown_text)),
        },
    }


def remove_pattern(answer, pattern=re.compile("```([^`]*)```")):
    for block in pattern.findall(answer):
        answer = answer.replace(block, "")
    return answer


def get_battles_from_row(row, first_game_only, multiplier, baseline_model, metadata=None):
    results = []
    for g, mapping in ((0, {"A=B": ("tie", 1), "A>B": ("model_a", 1), "A>>B": ("model_a", multiplier),
                            "B>A": ("model_b", 1), "B>>A": ("model_b", multiplier)}),
                       (1, {"A=B": ("tie", 1), "A>B": ("model_b", 1), "A>>B": ("model_b", multiplier),
                            "B>A": ("model_a", 1), "B>>A": ("model_a", multiplier)})):
        if g == 1 and first_game_only:
            break
        output = {"question_id": row["question_id"], "model_a": baseline_model, "model_b": row["model"]}
        score = row["games"][g]["score"]
        winner, weight = mapping.get(score, (None, 0))
        if winner is not None:
            output["winner"] = winner
        if metadata:
            ma = metadata[baseline_model][row["question_id"]]["conv_metadata"]
            mb = metadata[row["model"]][row["question_id"]]["conv_metadata"]
            output["conv_metadata"] = {
                "sum_assistant_a_tokens": ma["token_len"], "sum_assistant_b_tokens": mb["token_len"],
                "header_count_a": ma["header_count"], "header_count_b": mb["header_count"],
                "list_count_a": ma["list_count"], "list_count_b": mb["list_count"],
                "bold_count_a": ma["bold_count"], "bold_count_b": mb["bold_count"],
            }
        if weight:
            results += [output] * weight
    return results


def compute_mle_elo(df, SCALE=400, BASE=10, INIT_RATING=1000, baseline_model="gpt-4-0314", tol=1e-8):
    models = pd.concat([df["model_a"], df["model_b"]]).unique()
    models = pd.Series(np.arange(len(models)), index=models)
    df = pd.concat([df, df], ignore_index=True)
    p = len(models.index)
    n = df.shape[0]
    X = np.zeros([n, p])
    X[np.arange(n), models[df["model_a"]]] = +math.log(BASE)
    X[np.arange(n), models[df["model_b"]]] = -math.log(BASE)
    Y = np.zeros(n)
    Y[df["winner"] == "model_a"] = 1.0
    tie_idx = (df["winner"] == "tie") | (df["winner"] == "tie (bothbad)")
    tie_idx[len(tie_idx) // 2:] = False
    Y[tie_idx] = 1.0
    lr = LogisticRegression(fit_intercept=False, penalty=None, tol=tol,
                            **({} if tol == 1e-8 else {"max_iter": 100000}))
    lr.fit(X, Y)
    elo_scores = SCALE * lr.coef_[0] + INIT_RATING
    if baseline_model in models.index:
        elo_scores += 1000 - elo_scores[models[baseline_model]]
    return pd.Series(elo_scores, index=models.index).sort_values(ascending=False)


def newton_polish(df, elo, baseline_model="gpt-4-0314", steps=20):
    """The unpenalised BT maximum-likelihood estimate to rounding: Newton steps (baseline fixed) started from
    the lbfgs solution, on the same duplicated table. Independent of the Rust solver."""
    models = list(elo.index)
    idx = {m: i for i, m in enumerate(models)}
    beta = np.array([(elo[m] - 1000) / 400 for m in models])
    df = pd.concat([df, df], ignore_index=True)
    a = df["model_a"].map(idx).to_numpy()
    b = df["model_b"].map(idx).to_numpy()
    y = (df["winner"] == "model_a").to_numpy(dtype=float)
    tie = ((df["winner"] == "tie").to_numpy()) & (np.arange(len(df)) < len(df) // 2)
    y[tie] = 1.0
    X = np.zeros((len(df), len(models)))
    X[np.arange(len(df)), a] = math.log(10)
    X[np.arange(len(df)), b] = -math.log(10)
    free = np.array([m != baseline_model for m in models])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ beta))
        g = X.T @ (p - y)
        H = X.T @ (X * (p * (1 - p))[:, None])
        d = np.linalg.solve(H[np.ix_(free, free)], -g[free])
        beta[free] += d
    beta -= beta[idx[baseline_model]]
    return {m: float(400 * beta[idx[m]] + 1000) for m in models}


def get_bootstrap_result(battles, func_compute_elo, num_round):
    # The reference passes no baseline kwarg (see SPEC 2.4): the default gpt-4-0314 anchors every fit.
    rows = [func_compute_elo(battles.sample(frac=1.0, replace=True)) for _ in range(num_round)]
    df = pd.DataFrame(rows)
    return df[df.median().sort_values(ascending=False).index]


def win_rate_table_column(ratings, baseline):
    # predict_win_rate + get_win_rate_column, unrounded (the reference then rounds to 2 decimals)
    out = {}
    for m, r in ratings.items():
        out[m] = 0.5 if m == baseline else 1 / (1 + 10 ** ((ratings[baseline] - r) / 400))
    return {m: v * 100 for m, v in out.items()}


STYLE_CONTROL_ELEMENTS = ["sum_assistant_a_tokens", "header_count_a", "list_count_a", "bold_count_a",
                          "sum_assistant_b_tokens", "header_count_b", "list_count_b", "bold_count_b"]


def construct_style_matrices(df, BASE=10, apply_ratio=(1, 1, 1, 1), style_elements=STYLE_CONTROL_ELEMENTS,
                             add_one=True):
    models = pd.concat([df["model_a"], df["model_b"]]).unique()
    models = pd.Series(np.arange(len(models)), index=models)
    df = pd.concat([df, df], ignore_index=True)
    p = len(models.index)
    n = df.shape[0]
    k = int(len(style_elements) / 2)
    X = np.zeros([n, p + k])
    X[np.arange(n), models[df["model_a"]]] = +math.log(BASE)
    X[np.arange(n), models[df["model_b"]]] = -math.log(BASE)
    style_vector = np.array([
        df.conv_metadata.map(lambda x: x[element] if type(x[element]) is int else sum(x[element].values())).tolist()
        for element in style_elements
    ])
    style_diff = (style_vector[:k] - style_vector[k:]).astype(float)
    style_sum = (style_vector[:k] + style_vector[k:]).astype(float)
    if add_one:
        style_sum = style_sum + np.ones(style_diff.shape)
    apply_ratio = np.flatnonzero(apply_ratio)
    style_diff[apply_ratio] /= style_sum[apply_ratio]
    style_mean = np.mean(style_diff, axis=1)
    style_std = np.std(style_diff, axis=1)
    X[:, -k:] = ((style_diff - style_mean[:, np.newaxis]) / style_std[:, np.newaxis]).T
    Y = np.zeros(n)
    Y[df["winner"] == "model_a"] = 1.0
    tie_idx = (df["winner"] == "tie") | (df["winner"] == "tie (bothbad)")
    tie_idx[len(tie_idx) // 2:] = False
    Y[tie_idx] = 1.0
    return X, Y, models


def fit_bt(X, Y, models, SCALE=400, INIT_RATING=1000, baseline_model="gpt-4-0314", tol=None):
    p = len(models.index)
    lr = LogisticRegression(fit_intercept=False) if tol is None else \
        LogisticRegression(fit_intercept=False, tol=tol, max_iter=100000)
    lr.fit(X, Y)
    elo_scores = SCALE * lr.coef_[0] + INIT_RATING
    elo_scores += 1114 - elo_scores[models[baseline_model]]
    return pd.Series(elo_scores[:p], index=models.index).sort_values(ascending=False), lr.coef_[0][p:]


def get_bootstrap_result_style_control(X, Y, battles, models, num_round):
    elos = []
    k = int(X.shape[0] / 2)
    battles_tie_idx = ((battles["winner"] == "tie") | (battles["winner"] == "tie (bothbad)")).to_numpy()
    for _ in range(num_round):
        indices = np.random.choice(list(range(k)), size=(k), replace=True)
        index2tie = np.zeros(k, dtype=bool)
        index2tie[battles_tie_idx] = True
        nontie_indices = indices[~index2tie[indices]]
        tie_indices = np.concatenate([indices[index2tie[indices]], indices[index2tie[indices]] + k])
        _X = np.concatenate([X[nontie_indices], X[nontie_indices], X[tie_indices]])
        _Y = np.concatenate([Y[nontie_indices], Y[nontie_indices], Y[tie_indices]])
        states = ~_X[:, : len(models)].any(axis=0)
        elo, _ = fit_bt(_X, _Y, models[~states], baseline_model=BASELINE)
        elos.append(elo)
    return pd.DataFrame(elos)


def arena_reference():
    rng = np.random.default_rng(20240901)
    judgments, answers = generate_arena(rng)
    jdir = os.path.join(FIX, "arena_v01", "judgments", "judge-x")
    adir = os.path.join(FIX, "arena_v01", "answers")
    os.makedirs(jdir, exist_ok=True)
    os.makedirs(adir, exist_ok=True)
    for model, rows in judgments.items():
        with open(os.path.join(jdir, f"{model}.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    for model, rows in answers.items():
        with open(os.path.join(adir, f"{model}.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # --- what show_result.py does, from the files just written
    judg = pd.concat([pd.read_json(f, lines=True) for f in sorted(glob(f"{jdir}/*jsonl"))])
    # gen_judgment stores `score`; lines without it get the v0.1 get_score of their text (what the
    # substance importer does for recorded texts).
    judg["games"] = judg["games"].map(lambda gs: [
        g if "score" in g else {**g, "score": get_score_v01(g["judgment"])} for g in gs])
    metadata = {}
    md_counts = {}
    for file in sorted(glob(f"{adir}/*.jsonl")):
        df = pd.read_json(file, lines=True)
        model = df.model_id[0]
        metadata[model] = {}
        md_counts[model] = {}
        for _, row in df.iterrows():
            turn = row["choices"][0]["turns"][0]
            counts = count_markdown_elements(remove_pattern(turn["content"]))
            metadata[model][row["question_id"]] = {"conv_metadata": {"token_len": turn["token_len"], **counts}}
            md_counts[model][row["question_id"]] = [sum(counts[k].values()) for k in
                                                    ("header_count", "list_count", "bold_count")]
    battles = judg.apply(lambda row: get_battles_from_row(row, False, 3, BASELINE, metadata), axis=1)
    battles = pd.DataFrame(battles[battles.map(len) > 0].explode().tolist())
    n_first = sum(len(get_battles_from_row(r, True, 3, BASELINE)) for _, r in judg.iterrows())

    elo = compute_mle_elo(battles, baseline_model=BASELINE)
    elo_newton = newton_polish(battles, elo)
    wr = win_rate_table_column(elo.to_dict(), BASELINE)
    np.random.seed(42)  # utils_math: np.random.seed(42) at import
    boot = get_bootstrap_result(battles, compute_mle_elo, 100)
    lower = {m: np.percentile(boot[m], 2.5) for m in elo.index}
    upper = {m: np.percentile(boot[m], 97.5) for m in elo.index}
    wr_lower = win_rate_table_column(lower, BASELINE)
    wr_upper = win_rate_table_column(upper, BASELINE)

    X, Y, models = construct_style_matrices(battles)
    sc_default, coef_default = fit_bt(X, Y, models, baseline_model=BASELINE)
    sc_tight, coef_tight = fit_bt(X, Y, models, baseline_model=BASELINE, tol=1e-12)
    np.random.seed(42)
    sc_boot = get_bootstrap_result_style_control(X, Y, battles, models, 100)
    sc_lower = {m: np.percentile(sc_boot[m], 2.5) for m in models.index}
    sc_upper = {m: np.percentile(sc_boot[m], 97.5) for m in models.index}

    def rebase(s):  # fit_bt anchors the baseline at 1114; report it at 1000 like compute_mle_elo
        return {m: float(v - s[BASELINE] + 1000) for m, v in s.items()}

    out = {
        "generator": "scripts/leaderboard_reference.py", "versions": VERSIONS, "baseline": BASELINE,
        "n_battles": int(len(battles)), "n_battles_first_game_only": int(n_first),
        "winner_counts": {k: int(v) for k, v in battles["winner"].value_counts().items()},
        "elo": {m: float(v) for m, v in elo.items()},
        "elo_newton": elo_newton,
        "win_rate": wr,
        "win_rate_rounded": {m: round(v, 2) for m, v in wr.items()},
        "numpy_bootstrap": {"seed": 42, "rounds": 100,
                            "elo_lower": lower, "elo_upper": upper, "win_rate_lower": wr_lower,
                            "win_rate_upper": wr_upper},
        "style_control": {
            "features": ["length", "header", "list", "bold"],
            "elo_default": rebase(sc_default), "coef_default": coef_default.tolist(),
            "win_rate_default": win_rate_table_column(rebase(sc_default), BASELINE),
            "elo_tight": rebase(sc_tight), "coef_tight": coef_tight.tolist(),
            "win_rate_tight": win_rate_table_column(rebase(sc_tight), BASELINE),
            "numpy_bootstrap": {"win_rate_lower": win_rate_table_column(
                {m: sc_lower[m] for m in models.index}, BASELINE),
                "win_rate_upper": win_rate_table_column({m: sc_upper[m] for m in models.index}, BASELINE)},
        },
        "markdown_counts": md_counts,
    }
    with open(os.path.join(FIX, "arena_v01", "reference.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    arena_v2_reference(judgments, answers)
    print("arena_v01: %d battles; win rates %s" % (len(battles), {m: round(v, 3) for m, v in wr.items()}))
    print("  |elo(lbfgs) - elo(Newton)| max = %.3g" % max(abs(elo[m] - elo_newton[m]) for m in elo.index))
    print("  style |default - tight| max WR = %.3g" % max(
        abs(out["style_control"]["win_rate_default"][m] - out["style_control"]["win_rate_tight"][m])
        for m in models.index))


# ----------------------------------------------------------------------------------------------------------
# arena-hard-auto @196f6b8 (show_result.load_judgments, print_leaderboard_with_style_features), re-written.

LABEL_TO_SCORE = {"A>B": [1], "A>>B": [1] * 3, "A=B": [0.5], "A<<B": [0] * 3, "A<B": [0], "B>A": [0],
                  "B>>A": [0] * 3, "B=A": [0.5], "B<<A": [1] * 3, "B<A": [1]}


def arena_v2_reference(judgments_v01, answers_v01):
    d = os.path.join(FIX, "arena_v2")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "judgments.jsonl"), "w") as f:
        for model, rows in judgments_v01.items():
            for r in rows:
                games = []
                for g in r["games"]:
                    score = g["score"] if "score" in g else get_score_v01(g["judgment"])
                    games.append({"score": score, "judgment": {"answer": g["judgment"]},
                                  "prompt": [{"role": "user", "content": g["user_prompt"]}]})
                f.write(json.dumps({"uid": r["question_id"], "category": "hard_prompt", "judge": "judge-x",
                                    "model": f"org/{model}", "baseline": BASELINE, "games": games}) + "\n")
    with open(os.path.join(d, "answers.jsonl"), "w") as f:
        for model, rows in answers_v01.items():
            for r in rows:
                text = r["choices"][0]["turns"][0]["content"]
                meta = {"token_len": r["choices"][0]["turns"][0]["token_len"],
                        **count_markdown_elements(remove_pattern(text))}
                f.write(json.dumps({"uid": r["question_id"], "ans_id": r["answer_id"], "model": f"org/{model}"
                                    if model != BASELINE else model,
                                    "messages": [{"role": "user", "content": "q"},
                                                 {"role": "assistant", "content": {"answer": text}}],
                                    "tstamp": 0.0, "metadata": meta}) + "\n")
    data = pd.read_json(os.path.join(d, "judgments.jsonl"), lines=True)
    null = data.games.map(lambda x: x[0] is None or x[1] is None or x[0]["score"] is None or x[1]["score"] is None)
    _data = data[~null].reset_index(drop=True)
    _data["scores"] = _data.games.map(lambda x: LABEL_TO_SCORE[x[1]["score"]] + [1 - s for s in LABEL_TO_SCORE[x[0]["score"]]])
    battles = _data[["uid", "model", "category", "scores"]].explode("scores").reset_index(drop=True)
    battles["scores"] = battles["scores"].astype(float)
    per_model = battles.assign(model=battles.model.map(lambda x: x.split("/")[-1])).groupby("model")["scores"]

    meta = {}
    for line in open(os.path.join(d, "answers.jsonl")):
        r = json.loads(line)
        meta.setdefault(r["model"], {})[r["uid"]] = r["metadata"]
    feats = lambda m: [v if isinstance(v, int) else sum(v.values()) for v in m.values()]  # noqa: E731
    mf = np.array([feats(meta[row.model][row.uid]) for row in battles.itertuples()], dtype=float)
    bf = np.array([feats(meta[BASELINE][row.uid]) for row in battles.itertuples()], dtype=float)
    final = np.zeros_like(mf)
    final[:, 0] = (mf[:, 0] - bf[:, 0]) / (mf[:, 0] + bf[:, 0])
    md_m = mf[:, 1:] / (mf[:, :1] + 1)
    md_b = bf[:, 1:] / (bf[:, :1] + 1)
    final[:, 1:] = (md_m - md_b) / (md_m + md_b + 1)
    norm = (final - final.mean(axis=0)) / final.std(axis=0, ddof=1)
    models = sorted(set(battles.model.map(lambda x: x.split("/")[-1]).tolist() + [BASELINE]))
    onehot = np.zeros((len(battles), len(models)))
    for i, m in enumerate(battles.model.map(lambda x: x.split("/")[-1])):
        onehot[i, models.index(m)] = 1
        onehot[i, models.index(BASELINE)] = -1
    X = np.concatenate([onehot, norm], axis=1)
    y = battles.scores.to_numpy()
    # exact MLE of BCEWithLogits(sum): Newton with the baseline coordinate fixed at 0
    free = np.array([j != models.index(BASELINE) for j in range(X.shape[1])])
    theta = np.zeros(X.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-X @ theta))
        g = X.T @ (p - y)
        H = X.T @ (X * (p * (1 - p))[:, None])
        theta[free] += np.linalg.solve(H[np.ix_(free, free)], -g[free])
    b = models.index(BASELINE)
    wr = {m: float(100 / (1 + np.exp(-(theta[j] - theta[b])))) for j, m in enumerate(models)}
    out = {"generator": "scripts/leaderboard_reference.py", "versions": VERSIONS, "baseline": BASELINE,
           "n_battles": int(len(battles)),
           "n_battles_per_model": {m: int(v) for m, v in per_model.count().items()},
           "mean_score": {m: float(v) for m, v in per_model.mean().items()},
           "style_win_rate": wr, "style_coefficients": theta[len(models):].tolist()}
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print("arena_v2: %d battles; style-controlled win rates %s" % (len(battles), {m: round(v, 3) for m, v in wr.items()}))


# ----------------------------------------------------------------------------------------------------------
# AlpacaEval @cd543a1 metrics/glm_winrate.py, re-written with the hub files replaced by local DataFrames.

GLM_INFO = {
    "length_controlled_v1": ("np.tanh(std_delta_len) + instruction_difficulty + not_gamed_baseline.astype(float) - 1", 0.2),
    "length_controlled_noreg": ("np.tanh(std_delta_len) + instruction_difficulty + not_gamed_baseline.astype(float) - 1", None),
    "length_controlled_minimal": ("np.tanh(std_delta_len) + not_gamed_baseline.astype(float) - 1", None),
}


def logloss(y_true, y_pred, sample_weight=None):
    epsilon = 1e-15
    y_pred = np.clip(y_pred, epsilon, 1 - epsilon)
    all_logloss = y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)
    if sample_weight is not None:
        all_logloss = all_logloss * sample_weight
    return -np.mean(all_logloss)


def logloss_continuous(y_true, y_pred, true_prob, true_sample_weight=None):
    y_true = np.where(y_true == 1, true_prob, 1 - true_prob)
    return logloss(y_true, y_pred, sample_weight=true_sample_weight)


def fit_LogisticRegressionCV(data, col_y_true, n_splits=5, sample_weight=None):
    sklearn.set_config(enable_metadata_routing=True)
    kwargs = dict(random_state=123, dual=False, penalty="l1", solver="liblinear", n_jobs=None, fit_intercept=False)
    data = data.reset_index(drop=True).reset_index(drop=False, names=["group"])
    data_1 = data.copy()
    data_1["y"] = 1
    data_0 = data.copy()
    data_0[col_y_true] = 1 - data_0[col_y_true]
    data_0["y"] = 0
    data_dup = pd.concat([data_1, data_0], axis=0).reset_index(drop=True)
    true_prob = data_dup[col_y_true]
    if sample_weight is None:
        true_sample_weight = None
        sample_weight = true_prob
    else:
        true_sample_weight = np.concatenate([sample_weight, sample_weight], axis=0)
        sample_weight = true_prob * true_sample_weight
    cv = GroupKFold(n_splits=n_splits)
    scorer = make_scorer(logloss_continuous, response_method="predict_proba", greater_is_better=False
                         ).set_score_request(true_sample_weight=True, true_prob=True)
    model = LogisticRegressionCV(cv=cv, scoring=scorer, **kwargs)
    model.set_fit_request(sample_weight=True)
    X = data_dup.drop(columns=[col_y_true, "y", "group"])
    model.fit(X=X, y=data_dup["y"], sample_weight=sample_weight,
              groups=data_dup["group"], true_sample_weight=true_sample_weight, true_prob=true_prob)
    # Not in the reference: the same refit at the chosen C solved to convergence (liblinear's default
    # tol=1e-4 leaves slack of a few hundredths of a point in LC), to show what the exact minimiser gives.
    sklearn.set_config(enable_metadata_routing=False)
    converged = LogisticRegression(C=model.C_[0], tol=1e-12, max_iter=1000000, **kwargs)
    converged.fit(X, data_dup["y"], sample_weight=sample_weight)
    return model, converged


def get_length_controlled_winrate(df_annotations, glm_name, df_gamed):
    formula, lam = GLM_INFO[glm_name]
    df = df_annotations.reset_index(drop=True)
    model_name = df["generator_2"].unique()[0]
    if model_name == df["generator_1"].unique()[0]:
        return {"winrate": 50.0, "standard_error": 0.0, "weights": {}, "C": None}
    instruction_difficulty = df_gamed.drop_duplicates("index")["instruction_difficulty"]
    df = df.reset_index()
    len_1 = df["output_1"].str.len()
    len_2 = df["output_2"].str.len()
    std_delta_len = len_1 - len_2
    df = df[["preference", "index"]].copy()
    df["std_delta_len"] = std_delta_len / std_delta_len.std()
    df["preference"] = df["preference"].astype(float).replace({0.0: 1.5}) - 1
    df["instruction_difficulty"] = df["index"].transform(lambda g: instruction_difficulty[g])
    df["not_gamed_baseline"] = True
    df_test = df[["instruction_difficulty", "not_gamed_baseline"]].copy()
    df_test["std_delta_len"] = 0
    if lam:
        train = pd.concat([df_gamed.drop(columns=["model"]), df], axis=0)
        sample_weight = (train["not_gamed_baseline"]).astype(float) + (lam * (~train["not_gamed_baseline"])).astype(float) / 2
    else:
        train = df
        sample_weight = None
    XY = patsy.dmatrix(formula, train, return_type="dataframe")
    X_test = patsy.build_design_matrices([XY.design_info], df_test, return_type="dataframe")[0]
    XY["preference"] = train["preference"]
    keep = XY["preference"].notna()
    XY = XY[keep]
    if sample_weight is not None:
        sample_weight = sample_weight[keep]
    model, converged = fit_LogisticRegressionCV(XY, "preference", sample_weight=sample_weight)
    p = model.predict_proba(X_test)[:, 1]
    pc = converged.predict_proba(X_test)[:, 1]
    return {"winrate": float(p.mean() * 100), "standard_error": float(pd.Series(p).sem() * 100),
            "weights": dict(zip(X_test.columns, model.coef_[0].tolist())), "C": float(model.C_[0]),
            "winrate_converged": float(pc.mean() * 100),
            "standard_error_converged": float(pd.Series(pc).sem() * 100)}


def generate_alpaca(rng, n=160):
    instr = [f"Instruction {i}: explain topic {int(rng.integers(0, 10**6))}." for i in range(n)]
    difficulty = rng.normal(0, 1, size=n)
    base_len = rng.integers(40, 300, size=n)

    def text(k):
        return " ".join(rng.choice(WORDS, size=max(1, int(k) // 6)))[: int(k)]

    base_out = [text(k) for k in base_len]
    anns = []
    for model, skill, verbosity in (("model-short", -1.0, 0.4), ("model-mid", 0.0, 1.0), ("model-long", 0.5, 1.8)):
        for i in range(n):
            out = text(max(5, base_len[i] * verbosity * rng.uniform(0.6, 1.4)))
            dl = (len(base_out[i]) - len(out)) / 100
            logit = skill - 0.8 * difficulty[i] - 1.2 * math.tanh(dl) + rng.normal(0, 0.5)
            pref = 1 + 1 / (1 + math.exp(-logit))
            u = rng.random()
            if u < 0.03:
                pref = None
            elif u < 0.05:
                pref = 1.5
            else:
                pref = round(pref, 10)
            anns.append({"instruction": instr[i], "output_1": base_out[i], "generator_1": "base-model",
                         "dataset": "synthetic", "output_2": out, "generator_2": model,
                         "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": pref,
                         "price_per_example": 0.0, "time_per_example": 0.0, "raw_completion": None})
    # the baseline against itself
    for i in range(n):
        anns.append({"instruction": instr[i], "output_1": base_out[i], "generator_1": "base-model",
                     "dataset": "synthetic", "output_2": base_out[i], "generator_2": "base-model",
                     "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.5,
                     "price_per_example": 0.0, "time_per_example": 0.0, "raw_completion": None})
    gamed = []
    for gname, verbosity, skill in (("base-verbose", 2.2, 0.2), ("base-concise", 0.3, -0.6)):
        lens = [len(base_out[i]) - int(base_len[i] * verbosity) for i in range(n)]
        sd = pd.Series(lens).std()
        for i in range(n):
            logit = skill - 0.8 * difficulty[i] - 1.2 * math.tanh(lens[i] / 100) + rng.normal(0, 0.5)
            gamed.append({"model": gname, "index": i, "preference": 1 / (1 + math.exp(-logit)),
                          "std_delta_len": lens[i] / sd, "instruction_difficulty": difficulty[i],
                          "not_gamed_baseline": False})
    return anns, difficulty, pd.DataFrame(gamed)


def alpaca_reference():
    rng = np.random.default_rng(805)
    anns, difficulty, df_gamed = generate_alpaca(rng)
    d = os.path.join(FIX, "alpaca_lc")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "annotations.json"), "w") as f:
        json.dump(anns, f)
    pd.Series(difficulty, name="instruction_difficulty").to_csv(os.path.join(d, "instruction_difficulty.csv"))
    df_gamed.to_csv(os.path.join(d, "df_gamed.csv"), index=False)
    # read back exactly what the Rust test reads
    df_gamed = pd.read_csv(os.path.join(d, "df_gamed.csv"))
    diff_read = pd.read_csv(os.path.join(d, "instruction_difficulty.csv"), index_col=0).squeeze()
    df_all = pd.DataFrame(json.load(open(os.path.join(d, "annotations.json"))))
    out = {"generator": "scripts/leaderboard_reference.py", "versions": VERSIONS, "models": {}}
    for model, df in df_all.groupby("generator_2", sort=True):
        res = {}
        for glm in GLM_INFO:
            gam = df_gamed.copy()
            if glm != "length_controlled_v1":
                # noreg/minimal read the difficulty from instruction_difficulty.csv in the Rust API
                gam = pd.DataFrame({"model": "x", "index": np.arange(len(diff_read)),
                                    "instruction_difficulty": diff_read.to_numpy()})
            res[glm] = get_length_controlled_winrate(df, glm, gam)
        out["models"][model] = res
        print("alpaca_lc %-12s %s" % (model, {k: round(v["winrate"], 4) for k, v in res.items()}))
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)

    data = os.environ.get("SUBSTANCE_DATA", os.path.join(ROOT, "..", "shared", "data"))
    results = os.path.join(data, "alpaca-eval", "results")
    if os.path.isdir(results):
        real = {"generator": "scripts/leaderboard_reference.py", "versions": VERSIONS,
                "glm": "length_controlled_minimal", "models": {}}
        for f in sorted(glob(os.path.join(results, "*", "weighted_alpaca_eval_gpt4_turbo", "annotations.json"))):
            df = pd.DataFrame(json.load(open(f)))
            res = get_length_controlled_winrate(df, "length_controlled_minimal", pd.DataFrame(
                {"model": "x", "index": np.arange(len(df)), "instruction_difficulty": 0.0}))
            real["models"][df["generator_2"].iloc[0]] = res
            print("real minimal %-20s %.6f (C=%s; converged %s)" % (df["generator_2"].iloc[0], res["winrate"], res["C"],
                                                                  res.get("winrate_converged")))
        with open(os.path.join(d, "real_minimal.json"), "w") as f:
            json.dump(real, f, indent=1, sort_keys=True)


# ----------------------------------------------------------------------------------------------------------
# The peer of `cargo xtask bench leaderboard`.

def bench(d, runs):
    import time

    judg = pd.read_json(os.path.join(d, "judgments.jsonl"), lines=True, dtype={"question_id": str})
    meta = pd.read_json(os.path.join(d, "metadata.jsonl"), lines=True, dtype={"question_id": str})
    metadata = {}
    for row in meta.itertuples(index=False):
        metadata.setdefault(row.model, {})[row.question_id] = {"conv_metadata": {
            "token_len": int(row.token_len), "header_count": int(row.header_count),
            "list_count": int(row.list_count), "bold_count": int(row.bold_count)}}

    def battles_of(md):
        b = judg.apply(lambda row: get_battles_from_row(row, False, 3, BASELINE, md), axis=1)
        return pd.DataFrame(b[b.map(len) > 0].explode().tolist())

    def v01():
        battles = battles_of(None)
        elo = compute_mle_elo(battles, baseline_model=BASELINE)
        np.random.seed(42)
        boot = get_bootstrap_result(battles, compute_mle_elo, 100)
        lower = {m: np.percentile(boot[m], 2.5) for m in elo.index}
        upper = {m: np.percentile(boot[m], 97.5) for m in elo.index}
        return battles, elo, win_rate_table_column(lower, BASELINE), win_rate_table_column(upper, BASELINE)

    def v01_style():
        battles = battles_of(metadata)
        X, Y, models = construct_style_matrices(battles)
        sc, _ = fit_bt(X, Y, models, baseline_model=BASELINE)
        np.random.seed(42)
        boot = get_bootstrap_result_style_control(X, Y, battles, models, 100)
        lower = {m: np.percentile(boot[m], 2.5) for m in models.index}
        return battles, X, Y, models, sc, lower

    # Wall seconds, and CPU seconds of the process (all threads: NumPy's BLAS may use several).
    times = {"v01": [], "v01-style": []}
    cpu = {"v01": [], "v01-style": []}
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        battles, elo, _, _ = v01()
        times["v01"].append(time.perf_counter() - t)
        cpu["v01"].append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        battles_m, X, Y, models, sc, _ = v01_style()
        times["v01-style"].append(time.perf_counter() - t)
        cpu["v01-style"].append(time.process_time() - c)
        print("peer run: v01 %.2f s (CPU %.2f s), v01-style %.2f s (CPU %.2f s)" % (
            times["v01"][-1], cpu["v01"][-1], times["v01-style"][-1], cpu["v01-style"][-1]), flush=True)

    # Point estimates (outside the timing): the reference's lbfgs, the MLE polished by Newton, the
    # style-controlled fit at the reference's tol and at tol=1e-12.
    def rebase(s):
        return {m: float(v - s[BASELINE] + 1000) for m, v in s.items()}

    elo_newton = newton_polish(battles, elo, baseline_model=BASELINE)
    sc_tight, _ = fit_bt(X, Y, models, baseline_model=BASELINE, tol=1e-12)
    # lbfgs also stops on its relative-decrease test (ftol = 64 eps), so tol=1e-12 is not the exact
    # minimiser either; Newton's method on fit_bt's objective (L2, C = 1, no intercept) gives it.
    w = np.zeros(X.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-X @ w))
        g = X.T @ (p - Y) + w
        H = X.T @ (X * (p * (1 - p))[:, None]) + np.eye(X.shape[1])
        w -= np.linalg.solve(H, g)
    sc_newton = pd.Series(400 * w[: len(models)] + 1000, index=models.index)
    out = {
        "generator": "scripts/leaderboard_reference.py --bench", "versions": VERSIONS,
        "python": sys.version.split()[0], "runs": runs, "rounds": 100, "n_battles": int(len(battles)),
        "timings": times, "cpu_seconds": cpu,
        "win_rate": {
            "v01": win_rate_table_column(elo.to_dict(), BASELINE),
            "v01-newton": win_rate_table_column(elo_newton, BASELINE),
            "v01-style": win_rate_table_column(rebase(sc), BASELINE),
            "v01-style-tight": win_rate_table_column(rebase(sc_tight), BASELINE),
            "v01-style-newton": win_rate_table_column(rebase(sc_newton), BASELINE),
        },
    }
    with open(os.path.join(d, "peer.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    # The same as `key=value` lines, the format of the Rust example's output.
    with open(os.path.join(d, "peer.txt"), "w") as f:
        f.write("LB_META runs=%d rounds=100 n_battles=%d python=%s numpy=%s pandas=%s scikit-learn=%s\n" % (
            runs, len(battles), out["python"], np.__version__, pd.__version__, sklearn.__version__))
        for case, ts in times.items():
            for t, c in zip(ts, cpu[case]):
                f.write("LB_PEER_TIME case=%s s=%r cpu_s=%r\n" % (case, t, c))
        for case, wr in out["win_rate"].items():
            for m, v in wr.items():
                f.write("LB_WR case=%s model=%s wr=%r\n" % (case, m, float(v)))


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # scikit-learn 1.8+ deprecations of `penalty=`, liblinear notices
    if "--bench" in sys.argv:
        argv = sys.argv[1:]
        runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 1
        bench(argv[argv.index("--bench") + 1], runs)
    else:
        arena_reference()
        alpaca_reference()
