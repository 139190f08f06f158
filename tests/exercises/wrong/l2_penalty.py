"""Wrong: Σθ² without the ½ (its gradient is then 2θ)."""


def l2_penalty(parameters):
    return sum((p * p).sum() for p in parameters)
