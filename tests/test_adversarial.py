"""Adversarial attacks (cnnlib.adversarial): FGSM against PyTorch and finite differences, the L∞ ball and the
valid range respected, inputs and model untouched, success rates, bad arguments refused."""

import numpy as np
import pytest

from cnnlib import adversarial as adv
from cnnlib import layers as L


def tiny(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return L.Sequential(L.Conv2d(1, 3, 3, rng=rng, dtype=dtype), L.ReLU(), L.Flatten(),
                        L.Linear(3 * 4 * 4, 4, rng=rng, dtype=dtype))


def images(n=8, seed=1):
    return np.random.default_rng(seed).random((n, 1, 6, 6))


def snapshot(model):
    return [(p.data.copy(), p.grad.copy()) for p in model.parameters()]


def test_fgsm_matches_torch_and_stays_in_the_ball(torch):
    model, x = tiny(), images()
    y = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    x0, snap = x.copy(), snapshot(model)
    eps = 0.05
    out = adv.fgsm(model, x, y, eps)
    assert np.array_equal(x, x0)
    assert all(np.array_equal(p.data, d) and np.array_equal(p.grad, g)
               for p, (d, g) in zip(model.parameters(), snap, strict=True))
    nn = torch.nn
    theirs = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 4)).double()
    for name, p in model.named_parameters():
        dict(theirs.named_parameters())[name].data = torch.tensor(p.data)
    xt = torch.tensor(x, requires_grad=True)
    nn.functional.cross_entropy(theirs(xt), torch.tensor(y)).backward()
    expected = np.clip(x + eps * np.sign(xt.grad.numpy()), 0, 1)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert np.abs(out - x).max() <= eps + 1e-12
    assert out.min() >= 0 and out.max() <= 1


def test_fgsm_step_is_the_sign_of_a_finite_difference():
    model, x = tiny(), images(1)
    y = np.array([2])
    loss0 = adv.input_loss_gradient(model, x, y)
    g = loss0[1]
    h = 1e-6
    for idx in [(0, 0, 2, 3), (0, 0, 4, 1), (0, 0, 0, 0)]:
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        num = (adv.input_loss_gradient(model, xp, y)[0] - adv.input_loss_gradient(model, xm, y)[0]) / (2 * h)
        assert num == pytest.approx(g[idx], rel=1e-5, abs=1e-10)


def test_fgsm_raises_the_loss():
    model, x = tiny(), images()
    y = adv.predict(model, x)
    before = adv.input_loss_gradient(model, x, y)[0]
    after = adv.input_loss_gradient(model, adv.fgsm(model, x, y, 0.02), y)[0]
    assert after > before


def test_targeted_attack_reaches_its_target_inside_the_ball():
    model, x = tiny(), images(16)
    x0 = x.copy()
    target = (adv.predict(model, x) + 1) % 4
    eps = 0.3
    out = adv.targeted_attack(model, x, target, eps, steps=40)
    assert np.array_equal(x, x0)
    assert np.abs(out - x).max() <= eps + 1e-12
    assert out.min() >= 0 and out.max() <= 1
    assert np.mean(adv.predict(model, out) == target) >= 0.8  # 14 of 16 on this random model
    # with eps = 0 nothing moves
    np.testing.assert_array_equal(adv.targeted_attack(model, x, target, 0.0, steps=3), x)


def test_success_rate_grows_with_eps():
    model, x = tiny(), images(32)
    y = adv.predict(model, x)  # every image "correct", so all count
    rates = adv.success_rate(model, x, y, [0.0, 0.05, 0.5])
    assert rates.shape == (3,) and rates[0] == 0.0
    assert np.all(np.diff(rates) >= 0) and rates[-1] > rates[0]
    t_rates = adv.success_rate(model, x, y, [0.0, 0.5], attack="targeted", steps=20)
    assert t_rates[0] == 0.0 and t_rates[1] > 0.5


def test_bad_arguments():
    model, x = tiny(), images(2)
    y = np.array([0, 1])
    with pytest.raises(ValueError, match="eps"):
        adv.fgsm(model, x, y, -0.1)
    with pytest.raises(ValueError, match="valid_range"):
        adv.fgsm(model, x * 3, y, 0.1)
    with pytest.raises(ValueError, match="valid_range"):
        adv.fgsm(model, x, y, 0.1, valid_range=(1, 0))
    with pytest.raises(ValueError, match="steps"):
        adv.targeted_attack(model, x, 1, 0.1, steps=0)
    with pytest.raises(ValueError, match="attack"):
        adv.success_rate(model, x, y, [0.1], attack="deepfool")
    with pytest.raises(ValueError, match="target"):
        adv.fgsm(model, x, np.array([0, 9]), 0.1)
    with pytest.raises(ValueError, match="x must be 4-D"):
        adv.fgsm(model, x[0], y, 0.1)
