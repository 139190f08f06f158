"""Wrong: Σθ instead of Σ|θ|."""


def l1_penalty(parameters):
    return sum(p.sum() for p in parameters)
