"""cnnlib.io (save/load without pickle, atomic) and cnnlib.models."""

import json
import os

import numpy as np
import pytest

from cnnlib import data, io, layers, models, training


def every_layer_model():
    rng = np.random.default_rng(0)
    return layers.Sequential(
        layers.Conv2d(1, 3, (3, 2), stride=(1, 2), padding=1, dilation=(2, 1), rng=rng),
        layers.LeakyReLU(0.2), layers.MaxPool2d(2, 1, 1), layers.AvgPool2d(2), layers.Tanh(),
        layers.Sequential(layers.Sigmoid(), layers.ReLU()), layers.Dropout(0.3),
        layers.Flatten(), layers.Linear(12, 4, bias=False, rng=rng, dtype=np.float64),
    )


def test_roundtrip_identical_outputs(tmp_path):
    model = every_layer_model()
    x = np.random.default_rng(1).standard_normal((3, 1, 6, 6)).astype(np.float32)
    path = tmp_path / "m.npz"
    io.save(model, path, metadata={"note": "hello"})
    loaded, meta = io.load(path, with_metadata=True)
    assert meta == {"note": "hello"}
    model.eval()
    np.testing.assert_array_equal(model(x), loaded(x))
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert loaded[-1].weight.data.dtype == np.float64 and loaded[-1].bias is None
    assert not loaded.training
    with np.load(path, allow_pickle=False) as f:  # readable without pickle
        assert json.loads(f["__architecture__"].item())["type"] == "Sequential"


def test_conv1d_roundtrip(tmp_path):
    model = layers.Sequential(layers.Conv1d(2, 3, 3, stride=2, padding=1, rng=0), layers.MaxPool1d(2))
    x = np.random.default_rng(1).standard_normal((2, 2, 12)).astype(np.float32)
    io.save(model, tmp_path / "c.npz")
    np.testing.assert_array_equal(io.load(tmp_path / "c.npz")(x), model(x))


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        io.load(tmp_path / "missing.npz")
    good = tmp_path / "good.npz"
    io.save(every_layer_model(), good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        io.load(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a cnnlib model file"):
        io.load(foreign)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable"):
        io.load(text)


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "m.npz"
    io.save(every_layer_model(), path)
    before = path.read_bytes()

    class Unsaveable(layers.Layer):
        pass

    with pytest.raises(ValueError, match="cannot save a layer of type Unsaveable"):
        io.save(layers.Sequential(Unsaveable()), path)
    assert path.read_bytes() == before
    bad = layers.Sequential(layers.Linear(2, 2, rng=0))
    with pytest.raises(TypeError):
        io.save(bad, path, metadata={"x": object()})  # not JSON: fails before touching the file
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary files left behind


def test_global_avg_pool():
    from cnnlib import gradcheck

    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    assert gradcheck.check_layer(layers.GlobalAvgPool2d(), x) < 1e-6
    np.testing.assert_allclose(layers.GlobalAvgPool2d()(x), x.mean(axis=(2, 3)))


def test_trained_digits_cnn_and_cache(tmp_path):
    cache = tmp_path / "digits.npz"
    model, history = models.trained_digits_cnn(epochs=15, cache=cache)
    x_test, y_test = data.load_digits("test")
    assert len(history["val_accuracy"]) == 15  # monitored on the validation split, not the test split
    assert training.evaluate(model, x_test, y_test)["accuracy"] >= 0.96
    assert os.path.exists(cache)
    again, history2 = models.trained_digits_cnn(epochs=15, cache=cache)
    np.testing.assert_array_equal(again(x_test), model(x_test))
    assert history2 == history
    assert sum(p.data.size for p in models.digits_cnn().parameters()) == 6090
