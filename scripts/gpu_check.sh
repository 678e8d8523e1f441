#!/usr/bin/env bash
# Measures the GPU path in under 8 minutes: prelabel --device cuda at batch 1 and 16 on 640x512
# (ONNX Runtime CUDA / TensorRT where this onnxruntime has them) against the CPU's output, the
# torch weights on the GPU, and one epoch of training on CUDA. Writes $OUT/gpu_check.json.
# Runs with the machine's python3 (PyTorch, OpenCV, SciPy, onnxruntime) and this checkout on
# PYTHONPATH; figures go to docs/benchmarks.md, section "GPU".
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
OUT="${OUT:-out/gpu}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
timeout 470 "${PYTHON:-python3}" benchmarks/bench_gpu.py --out "$OUT" --device "${DEVICE:-cuda}"
