"""Wrong: drops the term -x̂·Σ(gy·x̂)/m (the gradient through the variance)."""


def batch_norm_backward_reference(x, gy, mean, invstd, weight):
    x_hat = (x - mean[None, :, None]) * invstd[None, :, None]
    grad_bias = gy.sum(axis=(0, 2))
    grad_weight = (gy * x_hat).sum(axis=(0, 2))
    count = x.shape[0] * x.shape[2]
    grad_x = (weight * invstd)[None, :, None] * (gy - (grad_bias / count)[None, :, None])
    return grad_x.astype(x.dtype, copy=False), grad_weight, grad_bias
