#!/usr/bin/env bash
# The real-data training recipe of models/README.md on CUDA: ddd-ir videos (points), sirst-v1
# still images (masks) and synthetic sequences, resumed from $CKPT when it holds a checkpoint.
# DATA: the folder with sirst-v1/, ddd-ir/ and backgrounds/ (default ../shared/data);
# MINUTES bounds the run (default 9, one device command); the checkpoint lands in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
DATA="${DATA:-${LABEL_IRST_DATA:-../shared/data}}"
OUT="${OUT:-out/gpu}"
WORK="${WORK:-/tmp/label-irst-gpu}"
CKPT="${CKPT:-$WORK/ckpt}"
mkdir -p "$OUT" "$WORK"
[ -d "$WORK/videos" ] || $PY -m label_irst dataset videos "$DATA/ddd-ir" --out "$WORK/videos" --quiet
[ -d "$WORK/stills" ] || $PY -m label_irst dataset stills "$DATA/sirst-v1" --out "$WORK/stills" --quiet
[ -d "$WORK/synth" ] || $PY -m label_irst synth --backgrounds "$DATA/backgrounds" --sequences 60 \
    --frames 20 --seed 7 --static-share 0.2 --hover-share 0.2 --stop-start-share 0.1 \
    --out "$WORK/synth" --quiet
timeout "$(( ${MINUTES:-9} * 60 ))" $PY -m label_irst train "$WORK/videos" --out "$CKPT" \
    --init models/rprnet.pt --device cuda --supervision points --val-split val --val-frames 300 \
    --mix "$WORK/stills=0.25:masks" --mix "$WORK/synth=0.15:points" \
    --epochs 40 --steps 300 --batch 32 --crop 128 --lr 1e-3 --warmup 100 --seed 5 \
    --hard-negatives 0.3 --mine-frames 96 --repeat-frame 0.15 --quiet | tee "$OUT/train.json" || true
cp "$CKPT/checkpoint.pt" "$OUT/" 2>/dev/null || true
