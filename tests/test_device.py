"""``--device``: auto picks CUDA when the machine can run it, and asks torch only when it may."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
import torch

from gancurve import device
from gancurve.errors import GancurveError, UsageError


def fake_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version_py: str) -> None:
    """Make ``find_spec("torch")`` point at a directory holding this ``version.py``."""
    package = tmp_path / "torch"
    package.mkdir()
    (package / "version.py").write_text(version_py)
    spec = importlib.machinery.ModuleSpec("torch", None, is_package=True)
    spec.submodule_search_locations = [str(package)]
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: spec if name == "torch" else real(name, *a)
    )


@pytest.mark.parametrize(
    ("version_py", "gpu_build"),
    [
        ("cuda: Optional[str] = None\nhip: Optional[str] = None\n", False),
        ("cuda: Optional[str] = '12.4'\nhip: Optional[str] = None\n", True),
        ("cuda = None\nhip = '6.2.41133'\n", True),
    ],
    ids=["cpu-build", "cuda-build", "rocm-build"],
)
def test_the_torch_build_is_read_from_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version_py: str, gpu_build: bool
) -> None:
    fake_torch(tmp_path, monkeypatch, version_py)
    assert device.torch_gpu_build() is gpu_build


def test_the_installed_cpu_build_is_recognised() -> None:
    assert device.torch_gpu_build() is (torch.version.cuda is not None or torch.version.hip is not None)


def test_auto_is_the_cpu_without_asking_torch_when_the_build_has_no_gpu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(device, "torch_gpu_build", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: pytest.fail("torch was asked"))
    assert device.select_device("auto") == "cpu"


def test_auto_is_cuda_when_torch_confirms_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "torch_gpu_build", lambda: True)
    monkeypatch.setattr(device, "gpu_driver_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.select_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CUDA build without a usable GPU
    assert device.select_device("auto") == "cpu"


def test_explicit_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    assert device.select_device("cpu") == "cpu"
    with pytest.raises(UsageError, match="Unknown device"):
        device.select_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(GancurveError, match="no CUDA GPU is available"):
        device.select_device("cuda")
    monkeypatch.setattr(device, "torch_gpu_build", lambda: None)
    with pytest.raises(GancurveError, match="needs torch, which is not installed"):
        device.select_device("cuda")
