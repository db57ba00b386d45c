"""cnnlib.metrics: confusion matrix and top-k accuracy against scikit-learn, the probabilities figure."""

import numpy as np
import pytest

from cnnlib import metrics


def test_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    np.testing.assert_array_equal(metrics.confusion_matrix(t, p, 5), confusion_matrix(t, p, labels=range(5)))
    assert metrics.confusion_matrix([0, 1], [1, 1]).shape == (2, 2)
    with pytest.raises(ValueError, match="labels must be in"):
        metrics.confusion_matrix([0, 5], [0, 1], 3)
    with pytest.raises(ValueError, match="same length"):
        metrics.confusion_matrix([0, 1], [0])


def test_top_k_accuracy_matches_scikit_learn():
    from sklearn.metrics import top_k_accuracy_score

    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((100, 6)), rng.integers(0, 6, 100)
    for k in (1, 2, 3, 5):
        expected = top_k_accuracy_score(y, logits, k=k, labels=range(6))
        assert metrics.top_k_accuracy(logits, y, k) == pytest.approx(expected)
    with pytest.raises(ValueError, match="k must be at most"):
        metrics.top_k_accuracy(logits, y, 7)


def test_probabilities_figure():
    assert metrics.probabilities_figure(np.zeros(10), 3).axes[0].patches[3].get_height() == pytest.approx(0.1)
