"""The PPO update (clipped policy and value losses, entropy bonus, GAE
advantages computed at rollout time), in the spirit of CleanRL's ppo.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from beasty.policy.network import PolicyValueNet, masked_logits
from beasty.train.config import PPOConfig
from beasty.train.rollout import Rollout


@dataclass
class UpdateStats:
    loss: float
    policy_loss: float
    value_loss: float
    entropy: float
    approx_kl: float
    clip_fraction: float
    grad_norm_pre_clip: float
    grad_norm_post_clip: float
    explained_variance: float
    epochs: float
    """Epochs run, fractional when target_kl stopped inside an epoch."""
    minibatches: int
    early_stopped: bool


def grad_norm(params: list[nn.Parameter]) -> float:
    norms = [p.grad.detach().norm(2) for p in params if p.grad is not None]
    return float(torch.norm(torch.stack(norms), 2)) if norms else 0.0


def evaluate_actions(
    net: PolicyValueNet, obs: torch.Tensor, mask: torch.Tensor, actions: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Log-probabilities (at ``temperature``), entropy and values."""
    logits, values = net(obs)
    logp_all = torch.log_softmax(masked_logits(logits, mask, temperature), dim=1)
    logp = logp_all.gather(1, actions.unsqueeze(1)).squeeze(1)
    probs = logp_all.exp()
    entropy = -(probs * torch.where(mask.bool(), logp_all, torch.zeros_like(logp_all))).sum(1)
    return logp, entropy, values


def compute_losses(
    net: PolicyValueNet,
    obs: torch.Tensor,
    mask: torch.Tensor,
    actions: torch.Tensor,
    old_logp: torch.Tensor,
    old_values: torch.Tensor,
    advantages: torch.Tensor,
    returns: torch.Tensor,
    cfg: PPOConfig,
    entropy_coef: float,
    temperature: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """PPO loss on one minibatch: ``(loss, policy_loss, value_loss, entropy,
    ratio, log_ratio)``.  The ratio compares log-probabilities at the same
    temperature the actions were sampled with."""
    logp, entropy, values = evaluate_actions(net, obs, mask, actions, temperature)
    log_ratio = logp - old_logp
    ratio = log_ratio.exp()
    adv = advantages
    if cfg.normalize_advantages and len(adv) > 1:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    pg_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip_epsilon, 1 + cfg.clip_epsilon)).mean()
    if cfg.value_clip > 0:
        clipped = old_values + (values - old_values).clamp(-cfg.value_clip, cfg.value_clip)
        v_loss = 0.5 * torch.max((values - returns) ** 2, (clipped - returns) ** 2).mean()
    else:
        v_loss = 0.5 * ((values - returns) ** 2).mean()
    ent = entropy.mean()
    loss = pg_loss + cfg.value_coef * v_loss - entropy_coef * ent
    return loss, pg_loss, v_loss, ent, ratio, log_ratio


def ppo_update(
    net: PolicyValueNet,
    optimizer: torch.optim.Optimizer,
    data: Rollout,
    cfg: PPOConfig,
    entropy_coef: float,
    temperature: float,
    generator: torch.Generator,
) -> UpdateStats:
    obs = torch.from_numpy(data.obs)
    mask = torch.from_numpy(data.mask)
    actions = torch.from_numpy(data.actions)
    old_logp = torch.from_numpy(data.logp)
    old_values = torch.from_numpy(data.values)
    advantages = torch.from_numpy(data.advantages)
    returns = torch.from_numpy(data.returns)
    n = len(data)
    params = [p for p in net.parameters() if p.requires_grad]
    sums: dict[str, float] = {}
    minibatches = 0
    early = False
    epochs_run = 0.0
    per_epoch = max(1, -(-n // cfg.minibatch_size))
    net.train()
    for _epoch in range(cfg.epochs):
        perm = torch.randperm(n, generator=generator)
        for start in range(0, n, cfg.minibatch_size):
            mb = perm[start : start + cfg.minibatch_size]
            loss, pg_loss, v_loss, ent, ratio, log_ratio = compute_losses(
                net,
                obs[mb],
                mask[mb],
                actions[mb],
                old_logp[mb],
                old_values[mb],
                advantages[mb],
                returns[mb],
                cfg,
                entropy_coef,
                temperature,
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            pre = float(nn.utils.clip_grad_norm_(params, cfg.max_grad_norm))
            post = grad_norm(params)
            optimizer.step()
            with torch.no_grad():
                approx_kl = float(((ratio - 1) - log_ratio).mean())
                clipfrac = float(((ratio - 1).abs() > cfg.clip_epsilon).float().mean())
            for k, v in (
                ("loss", loss.item()),
                ("policy_loss", pg_loss.item()),
                ("value_loss", v_loss.item()),
                ("entropy", ent.item()),
                ("approx_kl", approx_kl),
                ("clip_fraction", clipfrac),
                ("grad_norm_pre_clip", pre),
                ("grad_norm_post_clip", post),
            ):
                sums[k] = sums.get(k, 0.0) + v
            minibatches += 1
            epochs_run += 1.0 / per_epoch
            if cfg.target_kl is not None and approx_kl > cfg.target_kl:
                early = True
                break
        if early:
            break
    with torch.no_grad():
        var = float(np.var(data.returns))
        ev = float("nan") if var == 0 else 1.0 - float(np.var(data.returns - data.values)) / var
    mean = {k: v / max(minibatches, 1) for k, v in sums.items()}
    return UpdateStats(
        loss=mean["loss"],
        policy_loss=mean["policy_loss"],
        value_loss=mean["value_loss"],
        entropy=mean["entropy"],
        approx_kl=mean["approx_kl"],
        clip_fraction=mean["clip_fraction"],
        grad_norm_pre_clip=mean["grad_norm_pre_clip"],
        grad_norm_post_clip=mean["grad_norm_post_clip"],
        explained_variance=ev,
        epochs=round(epochs_run, 6),
        minibatches=minibatches,
        early_stopped=early,
    )
