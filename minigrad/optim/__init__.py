"""Optimizers: first-order and adaptive (PyTorch's), methods that need the loss (gradient
descent with line search, secant, Newton, BFGS, L-BFGS), and learning-rate schedules."""

from minigrad.optim import lr_scheduler
from minigrad.optim.adadelta import Adadelta
from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.nadam import NAdam
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.radam import RAdam
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.sgd import SGD
from minigrad.optim.groups import discriminative_groups
