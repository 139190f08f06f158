"""Wrong: both inputs get gy·a (the product rule swaps the factors: ∂(ab)/∂a = b)."""


def backward(self, gy):
    a, b = self.saved_tensors
    return gy * a, gy * a
