"""Saving and loading models: architecture and weights in one ``.npz`` file, without pickle.

The file holds a JSON description of the layers (each layer's class name and :meth:`Layer.config`),
one array per parameter under its PyTorch-style name (``"0.weight"``), a format marker and optional
JSON metadata (a training history, say). Loading never executes code from the file.
Saving is atomic: the file is written beside the target and moved into place, so a crash or a full
disk never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np

from . import layers as L

__all__ = ["save", "load", "FORMAT"]

FORMAT = "cnnlib-model-v1"
_MARKER, _ARCH, _META = "__format__", "__architecture__", "__metadata__"


def _describe(layer):
    if isinstance(layer, L.Sequential):
        return {"type": "Sequential", "layers": [_describe(child) for child in layer]}
    name = type(layer).__name__
    if getattr(L, name, None) is not type(layer):
        raise ValueError(f"cannot save a layer of type {name}: only the layers of cnnlib.layers can be saved")
    return {"type": name, "config": layer.config()}


def _build(desc):
    if not isinstance(desc, dict) or "type" not in desc:
        raise ValueError(f"malformed layer description {desc!r}")
    if desc["type"] == "Sequential":
        return L.Sequential(*(_build(d) for d in desc["layers"]))
    cls = getattr(L, desc["type"], None)
    if not (isinstance(cls, type) and issubclass(cls, L.Layer)):
        raise ValueError(f"unknown layer type {desc['type']!r} in model file")
    config = {k: tuple(v) if isinstance(v, list) else v for k, v in desc.get("config", {}).items()}
    if "dtype" in config:
        config["dtype"] = np.dtype(config["dtype"])
    return cls(**config)


def save(model, path, metadata=None) -> None:
    """Write ``model`` (a Layer, usually a Sequential) to ``path`` (``.npz``), atomically.

    Args:
        metadata: an optional JSON-serialisable dict stored with the model (see :func:`load`).
    """
    arrays = {name: p.data for name, p in model.named_parameters()}
    arrays[_MARKER] = np.array(FORMAT)
    arrays[_ARCH] = np.array(json.dumps(_describe(model)))
    arrays[_META] = np.array(json.dumps(metadata if metadata is not None else {}))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path, with_metadata=False):
    """Read a model written by :func:`save`; returns the model (in eval mode), or ``(model, metadata)``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is truncated or corrupt, is not a cnnlib model, or its weights do not fit
            its architecture.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    try:
        with np.load(path, allow_pickle=False) as f:
            contents = {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ValueError(f"{path!r} is not a readable .npz model file (truncated or corrupt?): {exc}") from exc
    if contents.get(_MARKER, np.array("")).item() != FORMAT:
        raise ValueError(f"{path!r} is not a cnnlib model file (no {FORMAT!r} marker)")
    try:
        model = _build(json.loads(contents[_ARCH].item()))
        metadata = json.loads(contents[_META].item())
    except (KeyError, json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"{path!r} has a malformed architecture description: {exc}") from exc
    params = dict(model.named_parameters())
    stored = {k for k in contents if not k.startswith("__")}
    if stored != set(params):
        raise ValueError(f"{path!r}: stored parameters {sorted(stored)} do not match the architecture's "
                         f"{sorted(params)}")
    for name, p in params.items():
        if contents[name].shape != p.data.shape:
            raise ValueError(f"{path!r}: parameter {name} has shape {contents[name].shape}, "
                             f"the architecture expects {p.data.shape}")
        p.data = contents[name].astype(p.data.dtype, copy=False)
        p.grad = np.zeros_like(p.data)
    model.eval()
    return (model, metadata) if with_metadata else model
