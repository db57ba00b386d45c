"""Tests of chapter 4's figures and training explorer (cnnlib.explorers.training)."""

import numpy as np
import pytest

from cnnlib import functional, optim, reference
from cnnlib.explorers import training as T


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (1, 2)])
def test_im2col_matrix_times_kernel_is_the_convolution(rng, stride, padding):
    image, kernel = rng.standard_normal((7, 6)), rng.standard_normal((3, 3))
    cols = T.im2col_matrix(image, 3, stride, padding)
    expected = reference.convolution(image, kernel, stride, padding)
    assert cols.shape == (9, expected.size)
    np.testing.assert_allclose(kernel.ravel() @ cols, expected.ravel(), atol=1e-12)


def test_im2col_matrix_column_is_a_window():
    image = np.arange(16.0).reshape(4, 4)
    cols = T.im2col_matrix(image, 2)
    np.testing.assert_array_equal(cols[:, 0], [0, 1, 4, 5])  # first window, row-major
    np.testing.assert_array_equal(cols[:, 1], [1, 2, 5, 6])


def test_im2col_matrix_errors():
    with pytest.raises(ValueError, match="2-D"):
        T.im2col_matrix(np.zeros((1, 4, 4)), 3)
    with pytest.raises(ValueError):
        T.im2col_matrix(np.zeros((2, 2)), 3)


def test_im2col_figure_shows_the_product():
    fig = T.im2col_figure(size=4)
    texts = [t.get_text() for t in fig.axes[3].texts]
    image = np.arange(1, 17.0).reshape(4, 4)
    kernel = np.array([[1.0, 0, 0], [0, 2, 0], [0, 0, -1]])
    out = functional.conv2d(image[None, None], kernel[None, None])[0, 0]
    assert texts == [f"{v:.0f}" for v in out.ravel()]
    with pytest.raises(ValueError, match="size"):
        T.im2col_figure(size=9)
    with pytest.raises(ValueError, match="square"):
        T.im2col_figure(kernel=np.ones((2, 3)))


def _history(acc, loss, epochs=3):
    return {"loss": (loss,) * epochs, "accuracy": (acc,) * epochs, "val_loss": (loss,) * epochs,
            "val_accuracy": (acc,) * epochs}


def test_curves_figure_panels():
    fig = T.curves_figure(_history(0.9, 0.3))
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_yscale() == "log"
    assert len(ax_loss.get_lines()) == 2 and len(ax_acc.get_lines()) == 3  # train, test, 97 % line
    with pytest.raises(ValueError, match="history"):
        T.curves_figure({"loss": []})


def test_curves_figure_survives_a_diverged_run():
    T.curves_figure(_history(0.1, float("nan")))


def test_confusion_figure_counts():
    y = np.array([0, 1, 2, 2])
    fig = T.confusion_figure(y, np.array([0, 1, 2, 1]), n_classes=3)
    assert "3/4 right" in fig.axes[0].get_title()


def test_misclassified_figure(rng):
    x = rng.random((5, 1, 8, 8))
    y = np.array([0, 1, 2, 3, 4])
    logits = np.eye(5)[y] * 5.0
    assert T.misclassified_figure(x, y, logits) is None
    logits[1] = np.eye(5)[3] * 5.0  # confidently wrong
    logits[2] = np.eye(5)[0] * 1.0  # less confident
    fig = T.misclassified_figure(x, y, logits)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith("1 → 3") and titles[1].startswith("2 → 0")  # most confident first
    assert len(titles) == 2


def test_make_optimizer():
    from cnnlib import layers

    params = layers.Linear(2, 2).parameters()
    assert isinstance(T.make_optimizer("Adam", params, 0.01), optim.Adam)
    sgd = T.make_optimizer("SGD + momentum 0.9", params, 0.01)
    assert sgd.momentum == 0.9
    with pytest.raises(ValueError, match="optimizer"):
        T.make_optimizer("RMSprop", params, 0.01)


def test_training_run_learns_and_is_deterministic():
    T.training_run.cache_clear()
    h = T.training_run("Adam", 0.01, 64, epochs=3, seed=0)
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"} and len(h["loss"]) == 3
    assert h["val_accuracy"][-1] > 0.8
    assert h["loss"][-1] < h["loss"][0]
    T.training_run.cache_clear()
    assert T.training_run("Adam", 0.01, 64, epochs=3, seed=0) == h


@pytest.mark.parametrize("acc,loss,word", [(0.1, float("nan"), "diverged"), (0.1, 2.3, "chance"),
                                           (0.99, 0.02, "learned well"), (0.6, 1.0, "still learning")])
def test_render_training_verdicts(monkeypatch, acc, loss, word):
    monkeypatch.setattr(T, "training_run", lambda *a, **k: _history(acc, loss))
    fig, caption = T.render_training("SGD", 0.1, 32, epochs=3)
    assert word in caption
    assert f"{acc:.1%}" in caption
    assert "108 parameter updates" in caption  # 3 epochs × ceil(1150 / 32)


def test_training_explorer_declaration(monkeypatch):
    monkeypatch.setattr(T, "training_run", lambda *a, **k: _history(0.9, 0.3))
    ex = T.training_explorer()
    assert list(ex.controls) == ["optimizer", "lr", "batch_size"]
    assert ex.n_static_states() == 27  # 3 optimisers × 3 learning rates × 3 batch sizes
    r = ex.render_state()
    assert r.png and "90.0%" in r.caption and not r.message
    widget = ex.build("static")
    assert "cnn-explorer" in widget._dom_classes
