"""Wrong: ∂L/∂b = gy @ a instead of aᵀ @ gy (and no vector or batch handling)."""


def backward(self, gy):
    a, b = self.saved_tensors
    return gy @ b.mT, (gy.mT @ a).mT
