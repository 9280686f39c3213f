"""Hostile files and values at the loaders and the command line: each gets a
clear error (``NetworkFileError``, ``WeightsError``, a ``beasty:`` message),
checked before memory is allocated for what a file claims."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from beasty._ext import Network, network_size
from beasty.agents.guided import NetworkFileError, load_network, save_network
from beasty.evaluate import MAX_GAMES, evaluate
from beasty.files import load_yaml


def _npz(path: Path, **fields: bytes) -> Path:
    """A network file whose members are the given raw .npy bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in fields.items():
            archive.writestr(f"{name}.npy", data)
    return path


def _npy(array: np.ndarray, claimed_shape: tuple[int, ...] | None = None) -> bytes:
    """``array`` as .npy bytes, its header claiming ``claimed_shape`` if given."""
    out = io.BytesIO()
    header = np.lib.format.header_data_from_array_1_0(array)
    if claimed_shape is not None:
        header["shape"] = claimed_shape
    np.lib.format.write_array_header_1_0(out, header)
    out.write(array.tobytes())
    return out.getvalue()


def _fields(about: str = "{}", weights: np.ndarray | None = None) -> dict[str, bytes]:
    weights = np.zeros(network_size(4), np.float32) if weights is None else weights
    return {
        "format": _npy(np.array("beasty-net-v1")),  # the first format: still loads
        "hidden": _npy(np.array(4, dtype=np.int32)),
        "weights": _npy(weights),
        "about": _npy(np.array(about)),
    }


def test_a_sound_hand_built_file_loads(tmp_path):
    assert load_network(_npz(tmp_path / "ok.npz", **_fields())).hidden == 4


def test_a_description_nested_deep_is_refused(tmp_path):
    path = _npz(tmp_path / "deep.npz", **_fields(about="[" * 100_000 + "]" * 100_000))
    with pytest.raises(NetworkFileError, match="not JSON"):
        load_network(path)


@pytest.mark.parametrize("claimed", [(2**40,), (2**20, 2**20), (network_size(4) + 1,)])
def test_a_header_that_claims_more_than_the_file_holds_is_refused_unread(tmp_path, claimed):
    fields = _fields()
    fields["weights"] = _npy(np.zeros(network_size(4), np.float32), claimed)
    with pytest.raises(NetworkFileError, match="claims"):
        load_network(_npz(tmp_path / "liar.npz", **fields))


def test_weights_wider_than_any_network_are_refused_unread(tmp_path):
    fields = _fields(weights=np.zeros(network_size(512, 16) + 1, np.float32))
    with pytest.raises(NetworkFileError, match="claims"):
        load_network(_npz(tmp_path / "wide.npz", **fields))


# ------------------------------------------------------------------ .pt files

torch = pytest.importorskip("torch")

from beasty.policy.network import NetworkConfig, PolicyValueNet  # noqa: E402
from beasty.policy.weights import WeightsError, load_weights, save_weights  # noqa: E402


def _edited(tmp_path: Path, name: str, config: dict | None = None, state: dict | None = None) -> Path:
    net = PolicyValueNet(NetworkConfig(encoder="flat", hidden_dim=8))
    path = save_weights(tmp_path / "ok.pt", net)
    data = torch.load(path, weights_only=True)
    data["config"].update(config or {})
    data["state_dict"].update(state or {})
    torch.save(data, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"hidden_dim": 65, "encoder": "attention"}, "do not fit"),
        ({"hidden_dim": 4096}, "do not fit"),
        ({"hidden_dim": 10**9}, "do not fit"),
        ({"encoder": "mystery"}, "invalid"),
        ({"colour": "red"}, "not one"),
    ],
)
def test_weights_whose_config_was_edited_are_refused(tmp_path, config, message):
    with pytest.raises(WeightsError, match=message):
        load_weights(_edited(tmp_path, "edited.pt", config=config))


def test_attention_config_that_torch_would_assert_on_is_refused(tmp_path):
    net = PolicyValueNet(NetworkConfig(encoder="attention", hidden_dim=16, num_heads=4))
    path = save_weights(tmp_path / "att.pt", net)
    data = torch.load(path, weights_only=True)
    data["config"]["num_heads"] = 5  # 16 is not a multiple of 5: torch asserts
    torch.save(data, tmp_path / "heads.pt")
    with pytest.raises(WeightsError, match="invalid"):
        load_weights(tmp_path / "heads.pt")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_parameters_are_refused_on_load(tmp_path, bad):
    state = {"value.bias": torch.tensor([bad])}
    with pytest.raises(WeightsError, match="non-finite"):
        load_weights(_edited(tmp_path, "nan.pt", state=state))


def test_a_parameter_of_the_wrong_shape_is_named(tmp_path):
    with pytest.raises(WeightsError, match=r"value\.bias"):
        load_weights(_edited(tmp_path, "shape.pt", state={"value.bias": torch.zeros(3)}))


def _beasty(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "beasty.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)  # fmt: skip


def test_the_command_line_names_a_bad_weights_file(tmp_path):
    path = _edited(tmp_path, "nan.pt", state={"value.bias": torch.tensor([float("nan")])})
    done = _beasty("eval", "--agent", str(path), "--opponents", "random", "--games", "2", cwd=tmp_path)
    assert done.returncode == 1 and "beasty: cannot load" in done.stderr and "non-finite" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_command_line_names_a_bad_network_file(tmp_path):
    path = save_network(tmp_path / "n.npz", Network(np.zeros(network_size(4), np.float32), 4))
    fields = _fields()
    fields["weights"] = _npy(np.zeros(network_size(4), np.float32), (2**40,))
    _npz(path, **fields)
    done = _beasty("eval", "--agent", str(path), "--opponents", "random", "--games", "2", cwd=tmp_path)
    assert done.returncode == 1 and "beasty: cannot load" in done.stderr and "claims" in done.stderr


# ---------------------------------------------------------- sizes and values


def test_an_absurd_number_of_games_is_refused_before_any_allocation(tmp_path):
    from beasty.agents import make

    with pytest.raises(ValueError, match="up to"):
        evaluate(make("random"), ["random"], games=10_000_000_000_000)
    done = _beasty("eval", "--agent", "random", "--opponents", "random", "--games", "10000000000000",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1 and f"up to {MAX_GAMES:,}" in done.stderr


def test_a_match_longer_than_one_batch_is_played_in_batches(monkeypatch):
    from beasty import evaluate as module
    from beasty.agents import make

    whole = evaluate(make("random"), ["heuristic"], games=40, seed=3)[0]
    monkeypatch.setattr(module, "BATCH_GAMES", 8)
    batched = evaluate(make("random"), ["heuristic"], games=40, seed=3)[0]
    assert batched.to_dict() == whole.to_dict()


@pytest.mark.parametrize(("text", "value"), [("1e-3", 1e-3), ("-2E+5", -2e5), ("3e2", 300.0), ("1.5", 1.5),
                                              ("abc", "abc"), ("7", 7), ("[1e-3]", [1e-3])])  # fmt: skip
def test_yaml_reads_exponent_floats(text, value):
    assert load_yaml(text) == value and type(load_yaml(text)) is type(value)


def test_set_takes_a_learning_rate_written_1e_minus_3():
    from beasty.cli import _parse_overrides
    from beasty.train.config import load_config

    cfg = load_config("smoke", _parse_overrides(["ppo.learning_rate=1e-3"]))
    assert json.dumps(cfg.ppo.learning_rate) == "0.001"
