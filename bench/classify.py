"""Benchmark of passage classification on CPU: throughput, single-passage latency, peak RSS.

Usage: .venv/bin/python bench/classify.py [--model models/default] [--threads 2] [--quantize]
       [--backend onnx|torch]
Passages are the corpus sentences (sentence length, no context), classified in batches of 64.
The backend is what `PassageClassifier.load` picks (ONNX Runtime when the model directory has
model.onnx) unless --backend names one; peak RSS is this whole process's, imports included.
Goals (issue 5): >= 200 passages/s, p50 latency < 30 ms, peak RSS < 1 GB on 2 threads.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.examples import Example, corpus_examples  # noqa: E402
from nlp.inference import BACKENDS, PassageClassifier  # noqa: E402


def _passages(count: int) -> list[Example]:
    rows = corpus_examples("test") + corpus_examples("dev") + corpus_examples("train")
    sentences = [Example(text=r.text, target=r.target) for r in rows]
    return (sentences * (count // max(len(sentences), 1) + 1))[:count]


def main() -> None:
    """Run the benchmark and print one JSON object with the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--passages", type=int, default=2048)
    parser.add_argument("--latency-runs", type=int, default=200)
    parser.add_argument("--quantize", action="store_true")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="default: what PassageClassifier.load picks for the model")
    args = parser.parse_args()
    classifier = PassageClassifier.load(args.model, batch_size=args.batch_size,
                                        threads=args.threads, quantize=args.quantize,
                                        backend=args.backend)
    passages = _passages(args.passages)
    classifier.predict(passages[:128])  # warm-up: first calls allocate and pick kernels
    started = time.perf_counter()
    classifier.predict(passages)
    throughput = len(passages) / (time.perf_counter() - started)
    latencies = []
    for passage in passages[:args.latency_runs]:
        started = time.perf_counter()
        classifier.predict([passage])
        latencies.append((time.perf_counter() - started) * 1000)
    result = {
        "model": args.model, "backend": classifier.backend, "quantized": args.quantize,
        "threads": args.threads,
        "batch_size": args.batch_size, "passages": len(passages),
        "mean_chars": round(statistics.mean(len(p.text) for p in passages), 1),
        "passages_per_s": round(throughput, 1),
        "latency_p50_ms": round(statistics.median(latencies), 2),
        "latency_p95_ms": round(statistics.quantiles(latencies, n=20)[-1], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
