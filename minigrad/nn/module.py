"""``Module``, the base of every layer, and ``Parameter``, a layer's learnable tensor.

A module owns parameters, buffers (state that is not learned, e.g. BatchNorm's running mean)
and child modules. Assigning a ``Parameter`` or a ``Module`` to an attribute registers it, so
``parameters()``, ``state_dict()``, ``train()`` and ``repr`` find everything without any list
kept by hand, exactly as in PyTorch::

    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 16)     # registered as child "hidden"
            self.out = nn.Linear(16, 1)

        def forward(self, x):
            return self.out(self.hidden(x).relu())

    TwoLayer().state_dict().keys()   # hidden.weight, hidden.bias, out.weight, out.bias
"""

from collections import OrderedDict, namedtuple

import numpy as np

from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import DTypeError, RangeError, StateError
from minigrad.tensor import Tensor, _to_array


class Parameter(Tensor):
    """A Tensor that is a module's learnable weight; it requires grad unless told otherwise.

    ``Parameter(t)`` shares ``t``'s memory, as in PyTorch.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        self.data = data.data if isinstance(data, Tensor) else (
            data if isinstance(data, np.ndarray) else _to_array(data))
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._version = data._version if isinstance(data, Tensor) else [0]
        self.retains_grad = False
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict(strict=False)`` did not match."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class RemovableHandle:
    """Returned by ``register_forward_hook``: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


class Module:
    """Base class of all layers: subclasses set attributes in ``__init__`` and define
    ``forward``; calling the module calls ``forward``."""

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            changed = hook(self, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            changed = hook(self, args, output)
            if changed is not None:
                output = changed
        return output

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; returning a value replaces args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; returning a value replaces
        the output (e.g. to record activations)."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # -- registration --------------------------------------------------------------------------
    # Registered things live in their dict (for traversal) and in the instance __dict__ (so
    # ``self.weight`` is a plain attribute lookup, with no __getattr__ detour on every call).

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._require_init("parameters")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._require_init("modules")
            self._forget(name, keep="_modules")
            self._modules[name] = value
            object.__setattr__(self, name, value)
        elif name in self.__dict__.get("_parameters", ()):
            if value is not None:
                raise DTypeError(f"cannot assign {type(value).__name__!r} as parameter {name!r} "
                                 "(Parameter or None expected)")
            self.register_parameter(name, None)
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise DTypeError(f"cannot assign {type(value).__name__!r} as child module "
                                 f"{name!r} (Module or None expected)")
            self._modules[name] = None
            object.__setattr__(self, name, None)
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise DTypeError(f"cannot assign {type(value).__name__!r} as buffer {name!r} "
                                 "(Tensor or None expected)")
            self._buffers[name] = value
            object.__setattr__(self, name, value)
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in self.__dict__:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _require_init(self, what):
        if "_parameters" not in self.__dict__:
            raise StateError(f"cannot assign {what} before Module.__init__() call; call "
                             "super().__init__() first in your module's __init__")

    def _forget(self, name, keep=None):
        """Remove the attribute ``name`` and unregister it from whichever dict holds it, except
        ``keep`` (where a new value will replace the old one in its place in the order)."""
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__.get(registry, {}).pop(name, None)
        self.__dict__.get("_non_persistent_buffers", set()).discard(name)
        self.__dict__.pop(name, None)

    def _check_new_name(self, name, registry):
        self._require_init(registry.strip("_"))
        if not isinstance(name, str) or not name or "." in name:
            raise RangeError(f"{registry.strip('_')[:-1]} name must be a non-empty string "
                             f"without '.', got {name!r}")
        taken = name in self.__dict__ or hasattr(type(self), name)
        if taken and name not in getattr(self, registry):
            raise RangeError(f"attribute {name!r} already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None: a declared but absent parameter, like ``bias=False``)."""
        self._check_new_name(name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise DTypeError(f"cannot assign {type(param).__name__!r} object to parameter "
                             f"{name!r} (Parameter or None required)")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: module state that is not a parameter (saved in the state dict unless
        ``persistent=False``), such as BatchNorm's running statistics."""
        self._check_new_name(name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise DTypeError(f"cannot assign {type(tensor).__name__!r} object to buffer {name!r} "
                             "(Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: "Module | None") -> None:
        self._check_new_name(name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise DTypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> "Module":
        """The module at a dotted path such as ``"encoder.layers.0"``; ``""`` is self."""
        module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = child
        return module

    # -- traversal -----------------------------------------------------------------------------

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(name, module) for self and every descendant, parents before children; a module
        reachable twice is listed once unless ``remove_duplicate=False``."""
        seen = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(f"{name}.{key}" if name else key, child)
                        for key, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        """(dotted name, parameter); a parameter shared by two layers is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # -- modes and gradients -------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout drops, BatchNorm uses batch statistics) for self and all
        descendants; ``train(False)`` is ``eval()``."""
        if not isinstance(mode, bool):
            raise RangeError(f"train: training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freeze (False) or unfreeze (True) every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (default) or fill them with zeros."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.detach_()
                param.grad.data[...] = 0

    def apply(self, fn) -> "Module":
        """Call ``fn(module)`` on every descendant, then on self (e.g. a custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- dtype -------------------------------------------------------------------------------

    def to(self, *args, **kwargs) -> "Module":
        """Cast the floating-point parameters and buffers (and gradients) in place:
        ``model.to(mg.float64)``. Devices other than "cpu" do not exist here."""
        dtype = None
        for arg in list(args) + list(kwargs.values()):
            if isinstance(arg, str) and arg != "cpu":
                raise RangeError(f"Module.to: minigrad computes on the CPU only, got device "
                                 f"{arg!r}")
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif arg is not None and not isinstance(arg, (str, bool)):
                dtype = np.dtype(arg)
        if dtype is None:
            return self
        if not np.issubdtype(dtype, np.floating):
            raise DTypeError(f"Module.to only accepts floating point dtypes, but got desired "
                             f"dtype={dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if np.issubdtype(tensor.dtype, np.floating):
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad.data = tensor.grad.data.astype(dtype)
        return self

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    def half(self) -> "Module":
        return self.to(np.float16)

    def cpu(self) -> "Module":
        return self

    # -- state dict ----------------------------------------------------------------------------

    def _named_state(self, prefix=""):
        """Every parameter and persistent buffer by its state-dict key (shared ones under each
        of their names, as PyTorch)."""
        for module_prefix, module in self.named_modules(prefix=prefix, remove_duplicate=False):
            dot = f"{module_prefix}." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    yield dot + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    yield dot + name, buffer

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """``OrderedDict`` of parameter and persistent buffer values by PyTorch key names.

        Values are NumPy copies (unlike PyTorch's views, a saved state stays as it was while
        training goes on); ``keep_vars=True`` gives the Tensors themselves.
        """
        destination = OrderedDict() if destination is None else destination
        for key, tensor in self._named_state(prefix):
            destination[key] = tensor if keep_vars else tensor.data.copy()
        return destination

    def load_state_dict(self, state_dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy values (NumPy arrays, Tensors, or anything array-like such as a PyTorch
        state dict's tensors) into the parameters and buffers, in place.

        Nothing is changed unless every value fits: shape mismatches always raise; missing
        and unexpected keys raise when ``strict`` (the default), else are returned.
        """
        own = OrderedDict(self._named_state())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        arrays, problems = {}, []
        for key, tensor in own.items():
            if key not in state_dict:
                continue
            array = _as_array(state_dict[key])
            if array is None:
                problems.append(f"value for {key} has type {type(state_dict[key]).__name__}, "
                                "expected an array or Tensor")
            elif array.shape != tensor.shape:
                problems.append(f"size mismatch for {key}: copying a param with shape "
                                f"{array.shape} from checkpoint, the shape in current model is "
                                f"{tensor.shape}.")
            else:
                arrays[key] = array
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ".")
        if problems:
            raise StateError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                             + "\n\t".join(problems))
        with no_grad():
            for key, array in arrays.items():
                own[key].copy_(array)
        return _IncompatibleKeys(missing, unexpected)

    # -- printing ------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The layer's settings shown inside its parentheses, e.g. ``in_features=2, ...``."""
        return ""

    def __repr__(self):
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({key}): " + _indent(repr(module), 2)
                    for key, module in self._modules.items()]
        if not children and len(extra) <= 1:
            return f"{type(self).__name__}({''.join(extra)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"


def _as_array(value):
    """A state-dict value as an array, or None when it is not array-like."""
    if isinstance(value, Tensor):
        return value.data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return None if array.dtype == object or array.dtype.kind in "USV" else array


def _indent(text, spaces):
    """Indent every line but the first (a child's repr inside its parent's)."""
    return text.replace("\n", "\n" + " " * spaces)
