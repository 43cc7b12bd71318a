"""scikit-learn plots logged into the active run, as wandb 0.31's ``wandb.sklearn.plot_*``.

::

    import runconfig as wandb
    from runconfig.integrations import sklearn as wandb_sklearn

    run = wandb.init(project="iris")
    model = RandomForestClassifier().fit(X_train, y_train)
    wandb_sklearn.plot_classifier(model, X_train, X_test, y_train, y_test,
                                  model.predict(X_test), model.predict_proba(X_test),
                                  labels=["setosa", "versicolor", "virginica"])

Each ``plot_*`` function computes the data of one plot with scikit-learn and numpy and
logs it with **one** ``log()`` call (one history row, one step), under wandb's key:

- ``key``: the chart, wandb's preset over a :class:`runconfig.media.Table` holding the
  data, with wandb's chart id and columns (``runconfig.plot.visualize``, or
  ``runconfig.plot.plot_table`` for the ROC and precision-recall curves, whose table is
  ``wandb.plot.roc_curve``'s and ``pr_curve``'s);
- ``key + "_image"``: when matplotlib is installed, a :class:`runconfig.media.Image` of
  the plot drawn with matplotlib (on a figure of its own: pyplot's state is untouched),
  so the plot can be seen without wandb's web page.

============================  ==================  ===================================
function                      key                 chart id
============================  ==================  ===================================
plot_feature_importances      feature_importances wandb/feature_importances/v1
plot_confusion_matrix         confusion_matrix    wandb/confusion_matrix/v1
plot_summary_metrics          summary_metrics     wandb/metrics/v1
plot_class_proportions        class_proportions   wandb/class_proportions/v1
plot_calibration_curve        calibration_curve   wandb/calibration/v1
plot_roc                      roc                 wandb/area-under-curve/v0 (custom)
plot_precision_recall         precision_recall    wandb/area-under-curve/v0 (custom)
plot_learning_curve           learning_curve      wandb/learning_curve/v1
plot_elbow_curve              elbow_curve         wandb/elbow/v1
plot_silhouette               silhouette_plot     wandb/silhouette_/v1
plot_outlier_candidates       outlier_candidates  wandb/outliers/v1
plot_residuals                residuals           wandb/residuals_plot/v1
============================  ==================  ===================================

``plot_classifier``, ``plot_regressor`` and ``plot_clusterer`` log their group of plots in
wandb's order, with wandb's progress lines on stderr. As in wandb, an unusable input (a
missing argument, NaN in ``X``, a model of the wrong kind or not fitted) is reported in
one line and its plot skipped: the script goes on. Every function needs an active run
(:class:`~runconfig.errors.UsageError` otherwise).

What differs from wandb:

- ``plot_silhouette`` (and so ``plot_clusterer``) works with scikit-learn 1.6 and later;
  wandb 0.31 logs nothing there ("clusterer is not a clusterer").
- ``plot_confusion_matrix``: ``Predicted`` holds the predicted class and ``Actual`` the
  true one (wandb swaps them), and ``true_labels``/``pred_labels`` work (wandb fails).
- Fitting done for a plot (outlier candidates, residuals, calibration, elbow curve) fits
  copies: the model passed in stays as it was (wandb refits it in place).
- ``plot_feature_importances`` honours ``max_num_features`` and names the features by
  the model's ``feature_names_in_`` when no names are given; ``plot_silhouette`` defaults
  ``cluster_labels`` to the clusterer's ``labels_``; ``plot_calibration_curve`` takes any
  two classes, not only 0 and 1; ``plot_roc``/``plot_precision_recall`` take a 1-d
  ``y_probas`` of a binary problem and a test set missing some integer class.
- Row limits are exact (wandb keeps one row more than its limit in some tables).

scikit-learn is imported when a plot is made; ``import runconfig`` never imports it.
"""

from __future__ import annotations

from runconfig.integrations.sklearn._classifier import (
    plot_calibration_curve,
    plot_class_proportions,
    plot_classifier,
    plot_confusion_matrix,
    plot_feature_importances,
    plot_precision_recall,
    plot_roc,
)
from runconfig.integrations.sklearn._clusterer import (
    plot_clusterer,
    plot_elbow_curve,
    plot_silhouette,
)
from runconfig.integrations.sklearn._regressor import (
    plot_outlier_candidates,
    plot_regressor,
    plot_residuals,
)
from runconfig.integrations.sklearn._shared import plot_learning_curve, plot_summary_metrics

__all__ = [
    "plot_calibration_curve",
    "plot_class_proportions",
    "plot_classifier",
    "plot_clusterer",
    "plot_confusion_matrix",
    "plot_elbow_curve",
    "plot_feature_importances",
    "plot_learning_curve",
    "plot_outlier_candidates",
    "plot_precision_recall",
    "plot_regressor",
    "plot_residuals",
    "plot_roc",
    "plot_silhouette",
    "plot_summary_metrics",
]
