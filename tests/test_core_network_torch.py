"""A whole network against PyTorch: same weights in, same logits, loss and gradients out (float64)."""

import numpy as np

from cnnlib import layers, losses


def test_network_matches_torch_end_to_end(torch):
    rng = np.random.default_rng(0)
    f64 = np.float64
    ours = layers.Sequential(
        layers.Conv2d(3, 4, 3, stride=1, padding=1, rng=rng, dtype=f64), layers.ReLU(), layers.MaxPool2d(2),
        layers.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), rng=rng, dtype=f64),
        layers.Tanh(), layers.AvgPool2d(2, 1, 1), layers.Sigmoid(),
        layers.Flatten(), layers.Linear(6 * 3 * 3, 5, rng=rng, dtype=f64),
    )
    nn = torch.nn
    theirs = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        nn.Tanh(), nn.AvgPool2d(2, 1, 1), nn.Sigmoid(), nn.Flatten(), nn.Linear(6 * 3 * 3, 5),
    ).double()
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        their_params[name].data = torch.tensor(p.data)  # PyTorch's names match ours

    x = rng.standard_normal((4, 3, 8, 8))
    y = np.array([0, 4, 2, 2])
    loss_fn = losses.CrossEntropyLoss()
    logits = ours(x)
    loss = loss_fn(logits, y)
    dx = ours.backward(loss_fn.backward())

    xt = torch.tensor(x, requires_grad=True)
    logits_t = theirs(xt)
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.tensor(y))
    loss_t.backward()

    np.testing.assert_allclose(logits, logits_t.detach().numpy(), atol=1e-7, rtol=0)
    assert abs(loss - loss_t.item()) < 1e-7
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-7, rtol=0)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, their_params[name].grad.numpy(), atol=1e-7, rtol=0, err_msg=name)


def test_float32_network_close_to_torch(torch):
    # float32 end to end: agreement at float32 precision, and dtypes kept
    rng = np.random.default_rng(1)
    ours = layers.Sequential(layers.Conv2d(1, 8, 5, padding=2, rng=rng), layers.ReLU(), layers.MaxPool2d(2),
                             layers.Flatten(), layers.Linear(8 * 4 * 4, 10, rng=rng))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10))
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        their_params[name].data = torch.tensor(p.data)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    out = ours(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, theirs(torch.tensor(x)).detach().numpy(), atol=1e-5, rtol=1e-5)


def test_conv2d_is_printed_in_pytorchs_words(torch):
    """A printed network reads as PyTorch's would: padding, dilation and bias only when not the default."""
    for args, kw in [((1, 16, 3), {}), ((16, 32, 3), dict(padding=1)),
                     ((4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), bias=False))]:
        assert repr(layers.Conv2d(*args, **kw, rng=0)) == repr(torch.nn.Conv2d(*args, **kw))
