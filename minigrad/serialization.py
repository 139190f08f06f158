"""``save`` and ``load`` for state dicts and checkpoints, without pickle.

The file is a NumPy ``.npz`` archive: every array is stored as its own ``.npy`` member, and
one more member holds a JSON header describing the structure (dicts, lists, tuples, numbers,
strings, None, booleans, and where each array goes). Loading reads arrays with
``allow_pickle=False`` and rebuilds the structure from JSON, so a file can never run code.

    mg.save({"model": model.state_dict(), "epoch": 3}, "checkpoint.npz")
    state = mg.load("checkpoint.npz")
"""

import json
import os
import zipfile

import numpy as np

from minigrad.errors import SerializationError
from minigrad.tensor import Tensor

FORMAT = "minigrad-checkpoint"
VERSION = 1
HEADER = "__minigrad_header__"


def save(obj, path) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of arrays, Tensors, numbers, strings, None)
    to ``path`` (or a binary file object). A path is written to a temporary file first and
    then renamed, so an interrupted save never leaves a half-written checkpoint."""
    arrays = {}
    header = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "obj")}
    arrays[HEADER] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return
    path = os.fspath(path)
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        np.savez(file, **arrays)
    os.replace(temporary, path)


def load(path):
    """Read what ``save`` wrote. Raises ``SerializationError`` for any other file."""
    name = getattr(path, "name", path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise SerializationError(f"load: {name!r} is a single NumPy array, not a minigrad "
                                     "checkpoint")
        with archive:
            if HEADER not in archive.files:
                raise SerializationError(f"load: {name!r} is not a minigrad checkpoint (no "
                                         "header)")
            header = json.loads(archive[HEADER].tobytes().decode("utf-8"))
            if header.get("format") != FORMAT or header.get("version") != VERSION:
                raise SerializationError(f"load: {name!r} has format {header.get('format')!r} "
                                         f"version {header.get('version')!r}, expected {FORMAT!r} "
                                         f"version {VERSION}")
            return _decode(header["root"], archive)
    except (SerializationError, FileNotFoundError):
        raise
    except ValueError as error:
        if "pickle" in str(error):  # NumPy took it for a pickle; never suggest unpickling
            raise SerializationError(f"load: {name!r} is not a minigrad checkpoint: it looks "
                                     "like pickled data, which minigrad never loads") from None
        raise SerializationError(f"load: {name!r} is not a readable minigrad checkpoint "
                                 f"(truncated or corrupt?): {error}") from None
    except (OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile,
            UnicodeDecodeError) as error:
        raise SerializationError(f"load: {name!r} is not a readable minigrad checkpoint "
                                 f"(truncated or corrupt?): {type(error).__name__}: "
                                 f"{error}") from None


def _encode(obj, arrays, where):
    """The JSON node for ``obj``; arrays go into ``arrays`` under fresh names."""
    if obj is None or isinstance(obj, (bool, str)):
        return {"kind": "value", "value": obj}
    if isinstance(obj, (int, float)) and not isinstance(obj, np.generic):
        if isinstance(obj, float) and not np.isfinite(obj):
            return {"kind": "float", "value": repr(obj)}  # JSON has no inf or nan
        return {"kind": "value", "value": obj}
    if isinstance(obj, Tensor):
        return {"kind": "tensor", "array": _store(obj.data, arrays, where),
                "requires_grad": obj.requires_grad}
    if isinstance(obj, (np.ndarray, np.generic)):
        kind = "array" if isinstance(obj, np.ndarray) else "scalar"
        return {"kind": kind, "array": _store(np.asarray(obj), arrays, where)}
    if isinstance(obj, dict):
        return {"kind": "dict", "items": [
            [_encode(k, arrays, where), _encode(v, arrays, f"{where}[{k!r}]")]
            for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"kind": type(obj).__name__, "items": [
            _encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise SerializationError(f"save: cannot store {where} of type {type(obj).__name__}; "
                             "only dicts, lists, tuples, arrays, Tensors, numbers, strings, "
                             "booleans and None (no pickle)")


def _store(array, arrays, where):
    if array.dtype == object:
        raise SerializationError(f"save: {where} is an object array, which needs pickle")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return name


def _decode(node, archive):
    kind = node["kind"]
    if kind == "value":
        return node["value"]
    if kind == "float":
        return float(node["value"])
    if kind == "dict":
        return {_decode(k, archive): _decode(v, archive) for k, v in node["items"]}
    if kind in ("list", "tuple"):
        items = [_decode(v, archive) for v in node["items"]]
        return items if kind == "list" else tuple(items)
    array = archive[node["array"]]
    if kind == "array":
        return array
    if kind == "scalar":
        return array[()]
    if kind == "tensor":
        tensor = Tensor._make(array)
        tensor.requires_grad = node["requires_grad"]
        return tensor
    raise SerializationError(f"load: unknown node kind {kind!r} in the header")
