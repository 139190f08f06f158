"""Containers: ``Sequential`` (a chain of layers), ``ModuleList`` and ``ModuleDict`` (modules
held in a list or dict and registered, so their parameters are found)."""

from collections import OrderedDict

from minigrad.errors import OutOfBoundsError
from minigrad.nn.module import Module


def _position(index, length, name):
    """A list index in [-length, length) as a non-negative position."""
    if not -length <= index < length:
        raise OutOfBoundsError(f"{name}: index {index} is out of range for {length} modules")
    return index % length


def _renumber(container, modules):
    """Hold ``modules`` under the names "0", "1", ... (after a deletion or insertion)."""
    for key in list(container._modules):
        delattr(container, key)
    for i, module in enumerate(modules):
        container.add_module(str(i), module)


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``,
    or from an ``OrderedDict`` of named modules. Index, slice, iterate and ``len`` like a list."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_position(index, len(self), "Sequential")]

    def __setitem__(self, index, module):
        key = list(self._modules)[_position(index, len(self), "Sequential")]
        setattr(self, key, module)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else
                    _position(index, len(self), "Sequential")]
        _renumber(self, modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of registered modules (e.g. a variable number of layers); has no ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[_position(index, len(self), "ModuleList")]

    def __setitem__(self, index, module):
        setattr(self, str(_position(index, len(self), "ModuleList")), module)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else
                    _position(index, len(self), "ModuleList")]
        _renumber(self, modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self, modules)


class ModuleDict(Module):
    """A dict of registered modules, in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        module = self._modules[key]
        delattr(self, key)
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            delattr(self, key)

    def update(self, modules) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module
