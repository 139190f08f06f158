"""Optimizers: first-order and adaptive (PyTorch's), methods that need the loss (gradient
descent with line search, secant, Newton, BFGS, L-BFGS), and learning-rate schedules."""

from minigrad.optim import lr_scheduler, scalar
from minigrad.optim.adadelta import Adadelta
from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.bfgs import BFGS
from minigrad.optim.gd import GD
from minigrad.optim.groups import discriminative_groups
from minigrad.optim.lbfgs import LBFGS
from minigrad.optim.nadam import NAdam
from minigrad.optim.newton import Newton
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.radam import RAdam
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.secant import Secant
from minigrad.optim.sgd import SGD

__all__ = [
           "BFGS",
           "GD",
           "LBFGS",
           "SGD",
           "Adadelta",
           "Adagrad",
           "Adam",
           "AdamW",
           "NAdam",
           "Newton",
           "Optimizer",
           "RAdam",
           "RMSprop",
           "Secant",
           "discriminative_groups",
           "lr_scheduler",
           "scalar",
]
