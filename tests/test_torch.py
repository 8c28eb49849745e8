"""The engine against PyTorch autograd in float64 (skipped where torch is not installed)."""

import numpy as np
import pytest

from coursekit import Value

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: `python3 dev.py test` installs the CPU build"
)
torch.set_default_dtype(torch.float64)


def both(fn, *arrays):
    vs = [Value(a) for a in arrays]
    out = fn(*vs, lib="ck")
    out.backward()
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = fn(*ts, lib="torch")
    tout.backward()
    return out, vs, tout, ts


def assert_same(out, vs, tout, ts):
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    for v, t in zip(vs, ts):
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-10, atol=1e-13)


def mlp_loss(W1, b1, W2, X, lib):
    relu = (lambda z: z.relu()) if lib == "ck" else torch.relu
    h = relu(X @ W1 + b1)
    s = (h @ W2).tanh()
    return ((s - 0.5) * (s - 0.5)).mean() + (W1 * W1).sum() * 1e-3


def scalar_soup(a, b, c, lib):
    sig = (lambda z: z.sigmoid()) if lib == "ck" else torch.sigmoid
    mx = (lambda p, q: p.max(q)) if lib == "ck" else torch.maximum
    return sig(a * b) / (c.exp() + 1) - (a - c) ** 3 + mx(a, b) * (b * b + 1).log() + 2 / (1 + c * c)


@pytest.mark.parametrize("seed", range(5))
def test_two_layer_network_matches_torch(seed):
    rng = np.random.default_rng(seed)
    arrays = (
        rng.standard_normal((4, 3)),
        rng.standard_normal(3),
        rng.standard_normal((3, 2)),
        rng.standard_normal((5, 4)),
    )
    assert_same(*both(mlp_loss, *arrays))


@pytest.mark.parametrize("seed", range(5))
def test_scalar_expression_matches_torch(seed):
    rng = np.random.default_rng(seed)
    a, b, c = (float(v) for v in rng.uniform(-2, 2, 3))
    out, vs, tout, ts = both(scalar_soup, a, b, c)
    assert out.data == pytest.approx(tout.item(), rel=1e-12)
    for v, t in zip(vs, ts):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-13)


def test_broadcast_gradients_match_torch():
    rng = np.random.default_rng(7)
    arrays = rng.standard_normal((3, 4)), rng.standard_normal((3, 1)), rng.standard_normal(4)

    def fn(a, b, c, lib):
        return (a * b + c / (b * b + 1) - a.T.T).sum()

    assert_same(*both(fn, *arrays))
