"""ROC and precision-recall curves with numpy alone, computed as scikit-learn computes them
(``roc_curve`` with ``drop_intermediate=True``, ``precision_recall_curve``), so
``wandb.plot.roc_curve`` and ``pr_curve`` need no scikit-learn."""

from __future__ import annotations

from typing import Any

__all__ = ["precision_recall", "roc"]


def _counts(y_true: Any, scores: Any, pos_label: Any) -> tuple[Any, Any, Any]:
    """False and true positives at each distinct score, highest score first."""
    import numpy as np

    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(scores, kind="mergesort")[::-1]
    scores = scores[order]
    positive = (np.asarray(y_true) == pos_label)[order]
    # The last index of each run of equal scores: a threshold between distinct scores.
    last = np.r_[np.where(np.diff(scores))[0], positive.size - 1]
    tps = np.cumsum(positive, dtype=np.float64)[last]
    fps = 1 + last - tps
    return fps, tps, scores[last]


def roc(y_true: Any, scores: Any, pos_label: Any) -> tuple[Any, Any]:
    """``(fpr, tpr)``: the ROC curve of ``scores`` for the class ``pos_label``, from (0, 0),
    without the points on a straight segment."""
    import numpy as np

    fps, tps, _ = _counts(y_true, scores, pos_label)
    if fps.size > 2:
        bends = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.where(np.r_[True, bends, True])[0]
        fps, tps = fps[keep], tps[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    with np.errstate(divide="ignore", invalid="ignore"):
        fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
        tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr


def precision_recall(y_true: Any, scores: Any, pos_label: Any) -> tuple[Any, Any]:
    """``(precision, recall)`` of ``scores`` for the class ``pos_label``, recall decreasing
    to the final point (precision 1, recall 0)."""
    import numpy as np

    fps, tps, _ = _counts(y_true, scores, pos_label)
    predicted = tps + fps
    precision = np.zeros_like(tps)
    np.divide(tps, predicted, out=precision, where=predicted != 0)
    recall = np.ones_like(tps) if tps[-1] == 0 else tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]
