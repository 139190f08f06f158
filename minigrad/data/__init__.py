"""Data: datasets, mini-batch loading, and small offline datasets (``data.datasets``)."""

from minigrad.data import datasets
from minigrad.data.dataset import Dataset, TensorDataset
from minigrad.data.loader import DataLoader, default_collate

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate", "datasets"]
