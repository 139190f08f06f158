"""The hot loops, one module per family. Each kernel is a Numba function paired with a NumPy
reference of the same signature (see ``_jit.kernel``); nothing here knows about Tensors."""
