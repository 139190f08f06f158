"""``Optimizer``: parameter groups, per-parameter state, and saving and resuming.

An optimizer holds ``param_groups`` (lists of parameters that share settings such as ``lr``)
and ``state`` (per parameter: step counts, moment estimates, ...). ``step()`` reads each
parameter's gradient ``p.grad.data`` and changes ``p.data`` in place; it never writes to the
gradient. Subclasses write the update rule; this class does the bookkeeping, as PyTorch's.
"""

import warnings
from collections import defaultdict

import numpy as np

from minigrad.autograd.grad_mode import enable_grad
from minigrad.errors import RangeError, ShapeError
from minigrad.tensor import Tensor


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()  # a default a param group must set itself (e.g. SGD's lr)


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of Tensors, or of dicts ``{"params": [...], "lr": ..., ...}``
    (one param group each; keys missing from a group take the value in ``defaults``).
    """

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if not param_groups:
            raise RangeError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (e.g. layers unfrozen during fine-tuning)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        param_group = dict(param_group, params=list(params))
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not p.is_leaf:
                raise RangeError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise RangeError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if not seen.isdisjoint(ids):
            raise RangeError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or zero arrays in their place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:  # a fresh array: the old one may be shared with another tensor
                    p.grad = Tensor._make(np.zeros_like(p.grad.data))

    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the loss (needed by some)."""
        raise NotImplementedError

    # -- saving and resuming --------------------------------------------------------------------

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are replaced by their position (counting across the groups in order);
        state arrays are copies, so the dict is a snapshot that later steps do not change.
        It holds only dicts, lists, arrays, numbers, strings and None: ``mg.save`` stores it.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: self._pack_state(s) for p, s in self.state.items()
                 if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()``: the next step is exactly the one the saved run took."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise RangeError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"])
               for g, s in zip(self.param_groups, saved_groups)):
            raise RangeError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            param_of.update({int(i): p for i, p in zip(saved["params"], group["params"])})
        self.state = defaultdict(dict)
        for key, saved_state in state_dict["state"].items():
            p = param_of.get(int(key))
            if p is not None:
                self.state[p] = self._unpack_state(saved_state, p)
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            restored = {k: _like(group.get(k), v) for k, v in saved.items() if k != "params"}
            self.param_groups[i] = dict(restored, params=group["params"])

    def _pack_state(self, state: dict) -> dict:
        """A parameter's state as saved: arrays copied, numbers as they are."""
        return {k: np.array(v) if isinstance(v, np.ndarray) else v for k, v in state.items()}

    def _unpack_state(self, saved: dict, param: Tensor) -> dict:
        """The inverse of ``_pack_state``: floating arrays take the parameter's dtype."""
        return {k: _array_like_param(v, param) if isinstance(v, np.ndarray) else v
                for k, v in saved.items()}

    # -- helpers for the subclasses -------------------------------------------------------------

    def _params_with_grad(self, group: dict):
        """The group's parameters that have a gradient (the others are skipped)."""
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.data.shape != p.data.shape:
                raise ShapeError(f"{type(self).__name__}: gradient of shape {p.grad.shape} does "
                                 f"not match its parameter of shape {p.shape}")
            yield p

    @staticmethod
    def _evaluate(closure):
        """Run the closure (if any) with grad mode on, as PyTorch does; its loss, or None."""
        if closure is None:
            return None
        with enable_grad():
            return closure()


def fused_update(update, param: np.ndarray, grad: np.ndarray, *rest) -> None:
    """Run a fused update kernel of ``minigrad.kernels.optim`` on one parameter.

    The kernels loop over flat arrays. State arrays are created C-contiguous with the
    parameter's shape, so for a C-contiguous parameter all flat views share memory with the
    originals and the update lands in place; float scalars take the parameter's dtype. Any
    other parameter (a transposed view, float16, which Numba does not compute in) takes the
    NumPy reference, which works on any layout; so does a parameter below the kernel's
    threshold, where the kernel would run the reference anyway (without the flat views and
    typed scalars, which cost twice the update at lesson sizes).
    """
    for a in rest:  # a wrong size would make the compiled loop read past an array's end
        if isinstance(a, np.ndarray) and a.size not in (0, param.size):
            raise ShapeError(f"{update.__name__}: state of shape {a.shape} does not match its "
                             f"parameter of shape {param.shape}")
    if grad.shape != param.shape:
        raise ShapeError(f"{update.__name__}: gradient of shape {grad.shape} does not match "
                         f"its parameter of shape {param.shape}")
    if param.size < update.threshold or not param.flags.c_contiguous or \
            param.dtype == np.float16:
        update.reference(param, grad, *rest)
        return
    scalar = param.dtype.type  # float32 scalars keep a float32 update in float32 arithmetic
    flat = [a.reshape(-1) if isinstance(a, np.ndarray) else scalar(a) if isinstance(a, float)
            else a for a in rest]
    update(param.reshape(-1), np.ascontiguousarray(grad).reshape(-1), *flat)


def grad_sign(group: dict) -> float:
    """-1 when the group maximizes (the update then climbs the gradient), else 1."""
    return -1.0 if group["maximize"] else 1.0


def state_like(param: Tensor, fill: float = 0.0) -> np.ndarray:
    """A C-contiguous state array of the parameter's shape and dtype."""
    return np.full(param.shape, fill, dtype=param.dtype)


def unused_state(param: Tensor) -> np.ndarray:
    """The empty array a kernel receives in place of a state it does not keep."""
    return np.empty(0, dtype=param.dtype)


def check_non_negative(label: str, value: float) -> None:
    """PyTorch's ``ValueError`` text, e.g. ``Invalid learning rate: -0.1``."""
    if not 0.0 <= value:
        raise RangeError(f"Invalid {label}: {value}")


def check_betas(betas) -> None:
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise RangeError(f"Invalid beta parameter at index {i}: {beta}")


def _like(current, saved):
    """A saved group value in the type the optimizer uses (JSON turns tuples into lists)."""
    return tuple(saved) if isinstance(current, tuple) and isinstance(saved, list) else saved


def _array_like_param(value: np.ndarray, param: Tensor) -> np.ndarray:
    dtype = param.dtype if np.issubdtype(value.dtype, np.floating) else value.dtype
    return np.array(value, dtype=dtype, order="C")


def _typename(obj) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"
