"""Layers, losses, optimisers, training, gradient checking and data."""

import numpy as np
import pytest

import cnnlib.functional as F
from cnnlib import data, gradcheck, layers, losses, optim, training

F64 = np.float64


def f64_layers():
    rng = np.random.default_rng(0)
    return [
        ("conv", layers.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), rng=rng, dtype=F64),
         (2, 2, 7, 6)),
        ("conv-nobias", layers.Conv2d(2, 2, 3, bias=False, rng=rng, dtype=F64), (1, 2, 5, 5)),
        ("conv1d", layers.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, rng=rng, dtype=F64), (2, 2, 11)),
        ("maxpool", layers.MaxPool2d(3, 2, 1), (2, 2, 7, 7)),
        ("maxpool1d", layers.MaxPool1d(3, 2, 1), (2, 2, 9)),
        ("avgpool", layers.AvgPool2d((2, 3), (1, 2), (1, 1)), (2, 2, 6, 7)),
        ("linear", layers.Linear(6, 4, rng=rng, dtype=F64), (3, 6)),
        ("relu", layers.ReLU(), (3, 5)),
        ("leaky", layers.LeakyReLU(0.1), (3, 5)),
        ("sigmoid", layers.Sigmoid(), (3, 5)),
        ("tanh", layers.Tanh(), (3, 5)),
        ("flatten", layers.Flatten(), (2, 3, 2, 2)),
        ("sequential", layers.Sequential(
            layers.Conv2d(1, 2, 3, padding=1, rng=rng, dtype=F64), layers.ReLU(), layers.MaxPool2d(2),
            layers.Flatten(), layers.Linear(8, 3, rng=rng, dtype=F64)), (2, 1, 4, 4)),
    ]


@pytest.mark.parametrize("name, layer, shape", f64_layers(), ids=[c[0] for c in f64_layers()])
def test_gradcheck_every_layer(name, layer, shape):
    x = np.random.default_rng(1).standard_normal(shape)
    assert gradcheck.check_layer(layer, x) < 1e-6


def test_gradcheck_catches_a_wrong_backward():
    class Broken(layers.Tanh):
        def backward(self, dy):
            return dy * (1 - self._y)  # forgot the square
    assert gradcheck.check_layer(Broken(), np.random.default_rng(0).standard_normal((3, 4))) > 1e-2


@pytest.mark.parametrize("loss_fn, target", [
    (losses.CrossEntropyLoss(), np.array([0, 2, 1, 2])),
    (losses.MSELoss(), np.random.default_rng(5).standard_normal((4, 3))),
])
def test_loss_gradients(loss_fn, target):
    z = np.random.default_rng(4).standard_normal((4, 3))
    loss_fn.forward(z, target)
    numeric = gradcheck.numerical_gradient(lambda v: loss_fn.forward(v, target), z)
    loss_fn.forward(z, target)
    assert gradcheck.relative_error(loss_fn.backward(), numeric) < 1e-6


def test_losses_match_torch(torch):
    z = np.random.default_rng(4).standard_normal((5, 4)) * 50
    y = np.array([0, 3, 1, 1, 2])
    ce = losses.CrossEntropyLoss()
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(zt, torch.tensor(y))
    lt.backward()
    assert abs(ce(z, y) - lt.item()) < 1e-10
    np.testing.assert_allclose(ce.backward(), zt.grad.numpy(), atol=1e-12)
    t = np.random.default_rng(6).standard_normal((5, 4))
    mse = losses.MSELoss()
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.mse_loss(zt, torch.tensor(t))
    lt.backward()
    assert abs(mse(z, t) - lt.item()) < 1e-9
    np.testing.assert_allclose(mse.backward(), zt.grad.numpy(), atol=1e-12)


def test_cross_entropy_rejects_bad_targets():
    ce = losses.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"target values must be in \[0, 2\]"):
        ce(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="integer class indices"):
        ce(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_layer_api_and_names():
    model = layers.Sequential(layers.Conv2d(1, 4, 3, rng=0), layers.ReLU(), layers.Flatten(),
                              layers.Linear(4 * 6 * 6, 10, rng=0))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert len(model) == 4 and isinstance(model[1], layers.ReLU) and len(list(model)) == 4
    assert all(p.grad.shape == p.data.shape for p in model.parameters())
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    y = model(x)
    assert y.shape == (2, 10) and y.dtype == np.float32
    model.backward(np.ones_like(y))
    g1 = model[0].weight.grad.copy()
    model(x)
    model.backward(np.ones_like(y))
    np.testing.assert_allclose(model[0].weight.grad, 2 * g1, rtol=1e-5)  # backward accumulates
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
    model.eval()
    assert not model.training and not model[0].training
    model.train()
    assert model[3].training


def test_init_is_reproducible_and_kaiming_uniform():
    a, b = layers.Conv2d(3, 8, 5, rng=42), layers.Conv2d(3, 8, 5, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / np.sqrt(3 * 5 * 5)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.weight.data).max() > 0.9 * bound
    assert a.weight.data.dtype == np.float32
    assert not np.array_equal(layers.Linear(4, 4, rng=1).weight.data, layers.Linear(4, 4, rng=2).weight.data)


def test_dropout():
    d = layers.Dropout(0.5, rng=0)
    x = np.ones((1000,))
    y = d(x)
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < np.mean(y == 0) < 0.6
    np.testing.assert_array_equal(d.backward(np.ones_like(x)), y)
    d.eval()
    np.testing.assert_array_equal(d(x), x)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        layers.Dropout(1.0)


def test_layer_constructor_errors():
    with pytest.raises(ValueError, match="kernel_size must be >= 1, got 0"):
        layers.Conv2d(1, 1, 0)
    with pytest.raises(TypeError, match="in_channels must be an integer"):
        layers.Conv2d("1", 1, 3)
    with pytest.raises(TypeError, match="layer 0 must be a cnnlib Layer"):
        layers.Sequential(lambda x: x)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layers.Conv2d(1, 1, 3).backward(np.zeros((1, 1, 1, 1)))


def test_sgd_and_adam_match_torch(torch):
    rng = np.random.default_rng(0)
    w0, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(5)]
    cases = [
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
         lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
        (lambda ps: optim.Adam(ps, lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    ]
    for ours_factory, theirs_factory in cases:
        p = layers.Parameter(w0.copy())
        pt = torch.nn.Parameter(torch.tensor(w0.copy()))
        ours, theirs = ours_factory([p]), theirs_factory([pt])
        for g in grads:
            ours.zero_grad()
            p.grad += g
            ours.step()
            pt.grad = torch.tensor(g)
            theirs.step()
        np.testing.assert_allclose(p.data, pt.detach().numpy(), atol=1e-12)


def digits_model(seed=0):
    rng = np.random.default_rng(seed)
    return layers.Sequential(
        layers.Conv2d(1, 16, 3, padding=1, rng=rng), layers.ReLU(), layers.MaxPool2d(2),
        layers.Conv2d(16, 32, 3, padding=1, rng=rng), layers.ReLU(), layers.MaxPool2d(2),
        layers.Flatten(), layers.Linear(32 * 2 * 2, 10, rng=rng),
    )


def test_training_on_digits_reaches_97_percent():
    x_train, y_train = data.load_digits("train")
    x_test, y_test = data.load_digits("test")
    model = digits_model()
    history = training.fit(model, losses.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3),
                           x_train, y_train, epochs=15, batch_size=32, validation_data=data.load_digits("val"),
                           seed=0, progress=False)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history["loss"]) == 15 and history["loss"][-1] < history["loss"][0]
    result = training.evaluate(model, x_test, y_test, losses.CrossEntropyLoss())
    assert result["accuracy"] >= 0.96, result  # 1,150 training images (a validation split is held out)
    assert not model.training  # evaluate leaves eval mode
    assert training.predict(model, x_test[:5]).shape == (5, 10)


def test_prediction_batches_are_sized_by_the_image():
    """About 2^18 input numbers per pass, 1 to 256 samples: big images go a few at a time (the unfolded
    input of a 64×64 RGB batch of 256 is far larger than the cache), digits 256 at a time; the logits do
    not depend on the batch size."""
    assert training.batch_size_for((3, 64, 64)) == 21
    assert training.batch_size_for((1, 8, 8)) == 256
    assert training.batch_size_for((1, 32, 32)) == 256
    assert training.batch_size_for((3, 512, 512)) == 1
    assert training.batch_size_for((3, 64, 64), largest=16) == 16
    model = digits_model(1)
    x = np.random.default_rng(0).random((300, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(training.predict(model, x), training.predict(model, x, batch_size=7),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        training.predict(model, x, batch_size=0)


def test_training_is_deterministic():
    x_train, y_train = data.load_digits("train")
    runs = []
    for _ in range(2):
        model = digits_model(3)
        h = training.fit(model, losses.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
                         x_train[:256], y_train[:256], epochs=2, seed=5, progress=False)
        runs.append((h["loss"], model[0].weight.data.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_data():
    splits = {name: data.load_digits(name) for name in ("train", "val", "test")}
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits.values()
    assert x_train.shape == (1150, 1, 8, 8) and x_val.shape == (287, 1, 8, 8) and x_test.shape == (360, 1, 8, 8)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0 <= x_train.min() and x_train.max() <= 1
    assert np.bincount(y_test).min() >= 35 and np.bincount(y_val).min() >= 27  # stratified
    np.testing.assert_array_equal(data.load_digits("train")[1], y_train)  # fixed split
    # disjoint: no image of one split is in another (sklearn's digits has no exact duplicates across them)
    keys = {name: {x.tobytes() for x in xs} for name, (xs, _) in splits.items()}
    assert not (keys["train"] & keys["test"]) and not (keys["train"] & keys["val"]) and not (keys["val"] & keys["test"])
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_digits("validation")
    with pytest.raises(ValueError, match="read-only"):
        x_train[0, 0, 0, 0] = 1.0
    img = data.sample_image()
    assert img.ndim == 2 and 0 <= img.min() and img.max() <= 1 and img.shape == (600, 512)
    small = data.sample_image(size=64, rgb=True)
    assert small.shape == (64, 55, 3)
    for name, k in data.KERNELS.items():
        assert k.shape == (3, 3), name
        assert not k.flags.writeable
    assert abs(data.KERNELS["gaussian blur"].sum() - 1) < 1e-12
    board = data.checkerboard(8, 2)
    assert board.shape == (8, 8) and board[0, 0] == 0 and board[0, 2] == 1


def test_numerical_gradient_does_not_modify_input():
    x = np.array([1.0, 2.0, 3.0])
    g = gradcheck.numerical_gradient(lambda v: float(np.sum(v**2)), x)
    np.testing.assert_allclose(g, 2 * x, atol=1e-6)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_layers_do_not_modify_inputs():
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    keep = x.copy()
    model = digits_model()
    model.layers[-1] = layers.Linear(32, 10, rng=0)
    y = model(x)
    dy = np.ones_like(y)
    model.backward(dy)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_array_equal(dy, np.ones_like(y))
    assert F.relu(x).dtype == np.float32


@pytest.mark.parametrize("n", [1, 3])
def test_layer_outputs_are_not_overwritten_by_later_calls(n):
    # layers reuse scratch buffers between calls; what they return must never alias them
    rng = np.random.default_rng(0)
    conv = layers.Conv2d(2, 3, 3, padding=1, rng=0)
    x1, x2 = rng.standard_normal((2, n, 2, 5, 5)).astype(np.float32)
    y1 = conv(x1)
    keep_y = y1.copy()
    dx1 = conv.backward(np.ones_like(y1))
    keep_dx = dx1.copy()
    conv(x2)
    conv.backward(2 * np.ones_like(y1))
    np.testing.assert_array_equal(y1, keep_y)
    np.testing.assert_array_equal(dx1, keep_dx)


def test_training_backward_skips_what_nothing_learns_from():
    """``need_input_grad=False`` (used by ``training.fit``): the same parameter gradients, no input
    gradient, and the first convolution does not compute its dx."""
    x = np.random.default_rng(0).random((3, 3, 20, 20)).astype(np.float32)
    grads = []
    for need in (True, False):
        model = layers.Sequential(
            layers.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)), layers.Conv2d(3, 4, 3, rng=0), layers.ReLU(),
            layers.MaxPool2d(2), layers.Flatten(), layers.Linear(4 * 9 * 9, 5, rng=1))
        model.forward(x)
        out = model.backward(np.ones((3, 5), np.float32), need_input_grad=need)
        assert (out is None) == (not need)
        if need:
            assert out.shape == x.shape
        grads.append([p.grad.copy() for p in model.parameters()])
    for a, b in zip(*grads, strict=True):
        np.testing.assert_array_equal(a, b)
    conv = layers.Conv2d(3, 2, 3, rng=0)
    conv.forward(x)
    assert conv.backward(np.ones((3, 2, 18, 18), np.float32), need_dx=False) is None
    assert np.abs(conv.weight.grad).sum() > 0


def test_fit_with_two_workers_equals_one_up_to_rounding():
    """``workers=2`` splits each batch between two threads: the same training, up to float rounding,
    the same result every time, and a clear error for a model it cannot split."""
    x, y = data.load_digits("train")
    x, y = x[:200], y[:200]

    def run(workers):
        model = layers.Sequential(layers.Conv2d(1, 4, 3, rng=0), layers.ReLU(), layers.Flatten(),
                                  layers.Linear(4 * 6 * 6, 10, rng=1))
        opt = optim.Adam(model.parameters(), lr=1e-2)
        history = training.fit(model, losses.CrossEntropyLoss(), opt, x, y, epochs=2, batch_size=33,
                               progress=False, workers=workers)
        return model, history

    one, h1 = run(1)
    two, h2 = run(2)
    again, h3 = run(2)
    for a, b, c in zip(one.parameters(), two.parameters(), again.parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(b.data, c.data)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
    assert h2 == h3

    class Bare:
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="workers must be"):
        training.fit(Bare(), losses.CrossEntropyLoss(), None, x, y, workers=2, progress=False)
    with pytest.raises(ValueError, match="workers must be"):
        training.fit(one, losses.CrossEntropyLoss(), None, x, y, workers=0, progress=False)
