"""Temperature scaling per head and decision thresholds, both fitted on the dev split.

Temperature scaling (Guo et al., 2017) divides logits by one scalar T > 0 chosen to minimise the
negative log-likelihood on held-out data; it changes confidence, not the argmax. Thresholds for
the binary/multi-label heads are then picked on the calibrated probabilities to maximise F1.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["fit_temperature", "softmax", "sigmoid", "pick_threshold"]

logger = logging.getLogger(__name__)


def fit_temperature(logits: np.ndarray, labels: np.ndarray, multilabel: bool = False) -> float:
    """Return the temperature minimising NLL of `labels` under `logits / T` (T in [0.05, 20]).

    For `multilabel`, labels are a 0/1 matrix and the loss is binary cross-entropy. Only this
    fit (training) needs torch; it is imported here so that inference never loads it.
    """
    import torch
    from torch.nn import functional

    if len(logits) == 0:
        return 1.0
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.float64 if multilabel else torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def loss_fn() -> torch.Tensor:
        optimizer.zero_grad()
        scaled = x / log_t.exp()
        if multilabel:
            loss = functional.binary_cross_entropy_with_logits(scaled, y)
        else:
            loss = functional.cross_entropy(scaled, y)
        loss.backward()
        return loss

    optimizer.step(loss_fn)
    temperature = float(log_t.detach().exp().clamp(0.05, 20.0))
    return temperature if np.isfinite(temperature) else 1.0


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Return row-wise softmax of `logits / temperature` (rows sum to 1)."""
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Return the element-wise logistic of `logits / temperature`."""
    return 1.0 / (1.0 + np.exp(-logits / temperature))  # type: ignore[no-any-return]


def pick_threshold(scores: np.ndarray, gold: np.ndarray, default: float = 0.5) -> float:
    """Return the threshold on `scores` that maximises F1 of `gold` (0/1), or `default`.

    Candidates are a fixed grid (0.05..0.95) so a tiny dev set cannot pick a razor-thin cut.
    """
    scores, gold = np.asarray(scores).ravel(), np.asarray(gold).ravel().astype(bool)
    if gold.sum() == 0:
        return default
    best, best_f1 = default, -1.0
    for threshold in np.round(np.arange(0.05, 0.951, 0.025), 3):
        predicted = scores >= threshold
        tp = float((predicted & gold).sum())
        f1 = 2 * tp / max(float(predicted.sum() + gold.sum()), 1.0)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(threshold), f1
    return best
