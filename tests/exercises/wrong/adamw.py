"""Wrong: AdamW as Adam + L2 (the decay goes through the adaptive step)."""


def decoupled(group):
    return float(group["weight_decay"]), 1.0
