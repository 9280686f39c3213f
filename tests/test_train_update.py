"""The PPO update on a fixed batch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from train_support import SMALL  # noqa: E402

from beasty.train import (  # noqa: E402
    PolicyValueNet,
)
from beasty.train.config import PPOConfig  # noqa: E402
from beasty.train.ppo import compute_gae, compute_losses, ppo_update  # noqa: E402
from beasty.train.rollout import (  # noqa: E402
    GameGenerator,
    GroupSpec,
)


# --------------------------------------------------------------------- update
def _batch(seed: int = 0):
    torch.manual_seed(seed)
    net = PolicyValueNet(SMALL)
    specs = [GroupSpec("self", 32, seed), GroupSpec("random", 32, seed + 1)]
    data = GameGenerator(0).generate(net, specs, {}, 1.0)
    return net, data, *compute_gae(data.values, data.rewards, data.ends, 0.99, 0.95)


def _total_loss(net, data, advantages, returns, cfg):
    net.eval()
    t = {k: torch.from_numpy(getattr(data, k)) for k in ("obs", "mask", "actions", "logp", "values")}
    t["advantages"], t["returns"] = torch.from_numpy(advantages), torch.from_numpy(returns)
    with torch.no_grad():
        return compute_losses(
            net,
            t["obs"],
            t["mask"],
            t["actions"],
            t["logp"],
            t["values"],
            t["advantages"],
            t["returns"],
            cfg,
            0.01,
            1.0,
        )[0].item()


def test_ppo_update_lowers_the_loss_on_a_fixed_batch():
    net, data, advantages, returns = _batch()
    cfg = PPOConfig(learning_rate=1e-3, epochs=8, minibatch_size=256)
    before = _total_loss(net, data, advantages, returns, cfg)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    stats = ppo_update(net, opt, data, advantages, returns, cfg, 0.01, 1.0, torch.Generator().manual_seed(0))
    assert _total_loss(net, data, advantages, returns, cfg) < before - 1e-3
    assert stats.grad_norm_post_clip <= cfg.max_grad_norm + 1e-4
    assert stats.grad_norm_pre_clip >= stats.grad_norm_post_clip - 1e-6
    assert not stats.early_stopped and stats.epochs == pytest.approx(8)


def test_target_kl_really_stops():
    net, data, advantages, returns = _batch(2)
    cfg = PPOConfig(learning_rate=5e-3, epochs=10, minibatch_size=128, target_kl=1e-7)
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    stats = ppo_update(net, opt, data, advantages, returns, cfg, 0.0, 1.0, torch.Generator().manual_seed(0))
    # the first minibatch has ratio 1 exactly (KL 0); the update after it must trip the limit
    assert stats.early_stopped and stats.minibatches <= 3 and stats.epochs < 1
