"""Shared by the training tests: the small network and the smoke config."""

from __future__ import annotations

from pathlib import Path

from beasty.policy.network import NetworkConfig
from beasty.train import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "beasty" / "configs"
SMALL = NetworkConfig(hidden_dim=32, num_heads=2, num_layers=1, dropout=0.0, species_embedding_dim=8)


def smoke(tmp_path: Path, **overrides: object):
    return load_config(CONFIGS / "smoke.yaml", {"out_dir": str(tmp_path), **overrides})
