"""Automatic differentiation: the graph engine, ``grad``, checks and derivative helpers."""

from minigrad.autograd import functional
from minigrad.autograd.function import Function
from minigrad.autograd.grad import grad
from minigrad.autograd.grad_mode import (detect_anomaly, enable_grad, is_grad_enabled, no_grad,
                                         set_grad_enabled)
from minigrad.autograd.gradcheck import gradcheck, gradgradcheck

__all__ = ["Function", "detect_anomaly", "enable_grad", "functional", "grad", "gradcheck",
           "gradgradcheck", "is_grad_enabled", "no_grad", "set_grad_enabled"]
