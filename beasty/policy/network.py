"""Policy/value network over the engine's observation, illegal actions masked.

Two encoders (``NetworkConfig.encoder``):
- ``attention``: the five queue slots are tokens (species embedding + owner
  + slot one-hot) encoded by a small transformer (order matters in the
  queue, so the slots are kept apart and flattened); the set-valued
  segments (hand, piles, bar, THAT'S IT) and the scalars go through a
  linear layer; a residual MLP trunk follows.
- ``flat``: an MLP over the whole observation (the queue's slots are
  already one-hot by position): an input layer and ``depth`` hidden layers,
  plain or ``residual``; csrc/net.h's shape, so it also runs in C.  Several
  times cheaper to train and run.
Both feed a policy head (33 logits) and a value head (tanh, the outcome in
[-1, 1]).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import numpy.typing as npt
import torch
from pydantic import model_validator
from torch import nn

from beasty._ext import NUM_ACTIONS, OBS_DIM, QUEUE_MAX, Network
from beasty.schema import Schema, one_of, within

ENCODERS = ("attention", "flat")


class NetworkConfig(Schema):
    encoder: Annotated[str, one_of(ENCODERS)] = "attention"
    """``attention`` (a transformer over the queue) or ``flat`` (an MLP over the observation)."""
    hidden_dim: Annotated[int, within(2, 4096)] = 64
    """Width of the card encoder, fusion trunk and heads."""
    num_heads: Annotated[int, within(1, 64)] = 4
    """Attention heads of the queue transformer (must divide hidden_dim; attention only)."""
    num_layers: Annotated[int, within(0, 32)] = 1
    """Transformer layers over the queue (0 = no attention; attention only)."""
    dropout: Annotated[float, within(0, 1, open_high=True)] = 0.0
    """Dropout in the transformer and trunk (off during rollouts)."""
    species_embedding_dim: Annotated[int, within(1, 4096)] = 16
    """Size of the learned species embedding."""
    depth: Annotated[int, within(1, 16)] = 1
    """Hidden-to-hidden layers after the input layer (flat only)."""
    residual: bool = False
    """Each hidden-to-hidden layer adds its input to its output (flat only)."""

    @model_validator(mode="after")
    def _heads_divide_width(self) -> NetworkConfig:
        if self.encoder == "attention" and self.hidden_dim % self.num_heads:
            raise ValueError(f"num_heads must divide hidden_dim ({self.num_heads} and {self.hidden_dim})")
        return self


SLOT = 14  # species one-hot (12) + mine + opponent's
QUEUE_DIM = QUEUE_MAX * SLOT
MASKED_LOGIT = -1e9
FloatArray = npt.NDArray[np.float32]


class FlatTrunk(nn.Sequential):
    """The flat encoder: ReLU(Linear) over the observation, then ``depth``
    hidden ReLU(Linear) layers, each added to its input when ``residual``
    (csrc/net.h).  A Sequential, so its parameters keep the names of the
    first format's two-layer stack (flat.0, flat.2, ...)."""

    def __init__(self, hidden: int, depth: int, residual: bool) -> None:
        layers: list[nn.Module] = [nn.Linear(OBS_DIM, hidden), nn.ReLU()]
        for _ in range(depth):
            layers += [nn.Linear(hidden, hidden), nn.ReLU()]
        super().__init__(*layers)
        self.residual = residual

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x: torch.Tensor = self[1](self[0](obs))
        for k in range(2, len(self), 2):
            y: torch.Tensor = self[k + 1](self[k](x))
            x = x + y if self.residual else y
        return x


class PolicyValueNet(nn.Module):
    def __init__(self, cfg: NetworkConfig) -> None:
        super().__init__()
        h = cfg.hidden_dim
        self.cfg = cfg
        if cfg.encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {cfg.encoder!r}")
        self.flat: FlatTrunk | None = None
        if cfg.encoder == "flat":
            self.flat = FlatTrunk(h, cfg.depth, cfg.residual)
        else:
            self._build_attention(cfg)
        self.policy = nn.Linear(h, NUM_ACTIONS)
        self.value = nn.Linear(h, 1)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.orthogonal_(m.weight, 2**0.5)
                nn.init.zeros_(m.bias)
        nn.init.orthogonal_(self.policy.weight, 0.01)
        nn.init.orthogonal_(self.value.weight, 1.0)
        if self.flat is None:
            nn.init.normal_(self.species.weight, std=0.02)
            with torch.no_grad():
                self.species.weight[0].zero_()

    def _build_attention(self, cfg: NetworkConfig) -> None:
        h, e = cfg.hidden_dim, cfg.species_embedding_dim
        self.species = nn.Embedding(13, e, padding_idx=0)
        self.card = nn.Sequential(nn.Linear(e + 2 + QUEUE_MAX, h), nn.GELU(), nn.LayerNorm(h))
        self.encoder: nn.TransformerEncoder | None = None
        if cfg.num_layers > 0:
            layer = nn.TransformerEncoderLayer(
                h, cfg.num_heads, 2 * h, cfg.dropout, activation="gelu", batch_first=True, norm_first=True
            )
            self.encoder = nn.TransformerEncoder(layer, cfg.num_layers, enable_nested_tensor=False)
        self.rest = nn.Sequential(nn.Linear(OBS_DIM - QUEUE_DIM, h), nn.GELU(), nn.LayerNorm(h))
        self.trunk_in = nn.Linear(QUEUE_MAX * h + h, h)
        self.trunk = nn.Sequential(
            nn.GELU(), nn.LayerNorm(h), nn.Dropout(cfg.dropout), nn.Linear(h, h), nn.GELU(), nn.Linear(h, h)
        )
        self.positions: torch.Tensor
        self.register_buffer("positions", torch.eye(QUEUE_MAX), persistent=False)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw logits ``[B, 33]`` and values ``[B]``."""
        if obs.dim() != 2 or obs.shape[1] != OBS_DIM:
            raise ValueError(f"obs must have shape [B, {OBS_DIM}], got {tuple(obs.shape)}")
        if self.flat is not None:
            z = self.flat(obs)
            return self.policy(z), torch.tanh(self.value(z)).squeeze(-1)
        b = obs.shape[0]
        q = obs[:, :QUEUE_DIM].reshape(b, QUEUE_MAX, SLOT)
        onehot = q[..., :12]
        present = onehot.sum(-1) > 0
        species = (onehot.argmax(-1) + 1) * present
        tokens = torch.cat([self.species(species), q[..., 12:], self.positions.expand(b, -1, -1)], dim=-1)
        x = self.card(tokens)
        if self.encoder is not None:
            pad = ~present
            pad[:, 0] = False  # an all-padding row would give NaN attention
            x = self.encoder(x, src_key_padding_mask=pad)
        x = x * present.unsqueeze(-1)
        z = torch.cat([x.reshape(b, -1), self.rest(obs[:, QUEUE_DIM:])], dim=-1)
        z = self.trunk_in(z)
        z = z + self.trunk(z)
        return self.policy(z), torch.tanh(self.value(z)).squeeze(-1)


def masked_logits(logits: torch.Tensor, mask: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Logits / temperature with illegal actions set to a large negative value."""
    return torch.where(mask.bool(), logits / temperature, torch.full_like(logits, MASKED_LOGIT))


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def _flat_linears(net: PolicyValueNet) -> list[nn.Linear]:
    if net.flat is None:
        raise ValueError("only a flat network (encoder: flat) has csrc/net.h's shape")
    hidden = [m for m in net.flat if isinstance(m, nn.Linear)]
    return [*hidden, net.policy, net.value]


def c_weights(net: PolicyValueNet) -> npt.NDArray[np.float32]:
    """A flat network's weights in csrc/net.h's layout (each matrix by input
    row, then its bias; the policy and value heads side by side as the last
    layer), for ``beasty._ext.Network`` and the search's guide."""
    *hidden, policy, value = _flat_linears(net)
    head_weight = torch.cat([policy.weight, value.weight]).detach()
    head_bias = torch.cat([policy.bias, value.bias]).detach()
    parts = []
    for weight, bias in [*((m.weight, m.bias) for m in hidden), (head_weight, head_bias)]:
        parts += [weight.detach().T.reshape(-1), bias.detach()]
    return torch.cat(parts).cpu().numpy().astype(np.float32)


def load_c_weights(net: PolicyValueNet, weights: npt.NDArray[np.float32]) -> None:
    """The inverse of :func:`c_weights`."""
    *hidden, policy, value = _flat_linears(net)
    at = 0
    loaded = []
    shapes = [(m.in_features, m.out_features) for m in hidden] + [(policy.in_features, NUM_ACTIONS + 1)]
    expected = sum(n_in * n_out + n_out for n_in, n_out in shapes)
    if expected != len(weights):
        raise ValueError(
            f"expected {expected} weights for hidden_dim={net.cfg.hidden_dim}, "
            f"depth={net.cfg.depth}, got {len(weights)}"
        )
    for n_in, n_out in shapes:
        matrix = torch.from_numpy(weights[at : at + n_in * n_out].reshape(n_in, n_out).T.copy())
        at += n_in * n_out
        loaded.append((matrix, torch.from_numpy(weights[at : at + n_out].copy())))
        at += n_out
    *layers, (w_out, b_out) = loaded
    with torch.no_grad():
        for layer, (weight, bias) in zip(hidden, layers, strict=True):
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
        policy.weight.copy_(w_out[:NUM_ACTIONS])
        policy.bias.copy_(b_out[:NUM_ACTIONS])
        value.weight.copy_(w_out[NUM_ACTIONS:])
        value.bias.copy_(b_out[NUM_ACTIONS:])


def c_network(net: PolicyValueNet) -> Network:
    """A flat network as ``beasty._ext.Network`` (evaluated in C)."""
    cfg = net.cfg
    return Network(c_weights(net), cfg.hidden_dim, cfg.depth, cfg.residual)


class PolicyOutputs:
    """A network's logits and values for a batch of observations, as numpy,
    for playing (no gradients): a flat network runs in C
    (``beasty._ext.Network``, one call per batch and no torch overhead),
    recompiled whenever its parameters change; the attention network runs
    in torch."""

    def __init__(self, net: PolicyValueNet) -> None:
        self.net = net
        self._params = list(net.parameters())
        self._c_net: Network | None = None
        self._versions: tuple[int, ...] = ()

    def __call__(self, obs: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self.net.flat is not None:
            versions = tuple(p._version for p in self._params)  # bumped by every in-place change
            if self._c_net is None or versions != self._versions:
                self._c_net, self._versions = c_network(self.net), versions
            out = self._c_net.forward(obs)
            return out[:, :NUM_ACTIONS], out[:, NUM_ACTIONS]
        was_training = self.net.training
        self.net.eval()
        with torch.no_grad():  # one batch per call, on the network's device
            logits, values = self.net(torch.from_numpy(obs).to(self._params[0].device))
        self.net.train(was_training)
        return logits.cpu().numpy(), values.cpu().numpy()


def sample_actions(
    logits: npt.NDArray[np.float32],
    mask: npt.NDArray[np.uint8],
    temperature: float,
    uniforms: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Actions drawn from softmax(legal logits / temperature), one uniform in
    [0, 1) per row, and their log-probabilities under that distribution
    (what the PPO ratio compares)."""
    legal = mask != 0
    z = logits.astype(np.float64) / temperature
    z -= np.where(legal, z, -np.inf).max(axis=1, keepdims=True)
    weights = np.exp(z, where=legal, out=np.zeros_like(z))  # exactly 0 for illegal actions
    cdf = np.cumsum(weights, axis=1)
    # the first action whose cumulative weight exceeds u: never one of weight 0
    u = uniforms[:, None] * cdf[:, -1:]
    actions = np.minimum((cdf <= u).sum(axis=1), NUM_ACTIONS - 1)
    logp = z[np.arange(len(z)), actions] - np.log(cdf[:, -1])
    return actions, logp.astype(np.float32)
