"""Wrong: σ'(x) taken as y instead of y(1 - y)."""


def backward(self, gy):
    (y,) = self.saved_tensors
    return gy * y
