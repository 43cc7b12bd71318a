"""The checks each plot makes of its inputs before it computes anything.

As in wandb, an unusable input is reported with one line on stderr (``termerror`` or
``termwarn``) and the plot is skipped, so that a training script goes on: a missing
argument, missing values or non-numbers in ``X``, a model of the wrong kind or not
fitted yet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runconfig._term import termerror

__all__ = ["fitted", "is_kind", "usable"]

_FEATURES = ("X", "X_test", "X_train")


def _feature_problem(name: str, value: Any) -> str | None:
    """Why the feature matrix ``value`` cannot be plotted, or None."""
    data = value.data if hasattr(value, "tocsr") else value  # a scipy sparse matrix
    array = np.asarray(data)
    if array.dtype.kind not in "biufc":
        try:
            array = array.astype(float)
        except (TypeError, ValueError):
            return (
                f"{name} contains values that are not numbers. Please vectorize, label "
                f"encode or one hot encode {name} and call the plotting function again."
            )
    missing = int(np.count_nonzero(np.isnan(array))) if array.dtype.kind in "fc" else 0
    if missing:
        return f"{name} contains {missing} missing values."
    return None


def usable(**values: Any) -> bool:
    """False, having said why, when a value is None or a feature matrix holds missing
    values or non-numbers."""
    ok = True
    for name, value in values.items():
        if value is None:
            termerror(f"{name} is None. Please try again.")
            ok = False
        elif name in _FEATURES:
            problem = _feature_problem(name, value)
            if problem is not None:
                termerror(problem)
                ok = False
    return ok


def is_kind(name: str, model: Any, *kinds: str) -> bool:
    """Whether ``model`` is one of ``kinds`` (``classifier``, ``regressor``,
    ``clusterer``), asked through scikit-learn's tags (so scikit-learn 1.6 and later, which
    dropped ``_estimator_type``, are answered right); False, having said so, if not."""
    from sklearn import base  # type: ignore[import-untyped]

    tests = {
        "classifier": base.is_classifier,
        "regressor": base.is_regressor,
        "clusterer": getattr(base, "is_clusterer", None)
        or (lambda m: getattr(m, "_estimator_type", None) == "clusterer"),
    }
    if any(tests[kind](model) for kind in kinds):
        return True
    termerror(f"{name} is not a {' or '.join(kinds)}. Please try again.")
    return False


def fitted(model: Any) -> bool:
    """Whether ``model`` has been fitted; False, having said so, if not."""
    from sklearn.exceptions import NotFittedError  # type: ignore[import-untyped]
    from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped]

    try:
        check_is_fitted(model)
    except NotFittedError:
        termerror("Please fit the model before passing it in.")
        return False
    except TypeError:  # not an estimator: nothing to ask; the plot says what fails
        return True
    return True
