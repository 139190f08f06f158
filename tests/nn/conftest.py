"""Set-up of the layer tests: ``from torch_compare import ...`` works (pytest's importlib mode
does not put a test's folder on the path), and PyTorch runs on one thread: on the tiny tensors
of these comparisons its thread pool costs up to 100x the work (0.13 s per BatchNorm call on
two cores), and one thread gives the same numbers."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

try:
    import torch
except ImportError:
    pass
else:
    torch.set_num_threads(1)
