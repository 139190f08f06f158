"""Neural-network layers, losses, initialization and helpers, with PyTorch's names:

    import minigrad.nn as nn
    import minigrad.nn.functional as F
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    loss = F.cross_entropy(model(x), y)
"""

from minigrad.nn import functional, init, utils
from minigrad.nn.activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU,
                                    Softmax, Softplus, Tanh)
from minigrad.nn.container import ModuleDict, ModuleList, Sequential
from minigrad.nn.conv import Conv1d, Conv2d
from minigrad.nn.dropout import Dropout, Dropout1d, Dropout2d
from minigrad.nn.embedding import Embedding
from minigrad.nn.linear import Bilinear, Flatten, Identity, Linear, Unflatten
from minigrad.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss,
                              MSELoss, NLLLoss, SmoothL1Loss, TripletMarginLoss)
from minigrad.nn.module import Module, Parameter
from minigrad.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from minigrad.nn.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d,
                                 MaxPool1d, MaxPool2d)
from minigrad.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BCELoss",
    "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Bilinear", "Conv1d", "Conv2d",
    "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "ELU", "Embedding", "Flatten", "GELU",
    "GRU", "GRUCell", "HuberLoss", "Identity", "L1Loss", "LSTM", "LSTMCell", "LayerNorm",
    "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool1d", "MaxPool2d", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "RNN", "RNNCell", "ReLU", "Sequential",
    "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "TripletMarginLoss",
    "Unflatten", "functional", "init", "utils",
]
