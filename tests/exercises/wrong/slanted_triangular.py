"""Wrong: a symmetric triangle (descends as fast as it climbs)."""

import math


def get_lr(self):
    t = min(self.last_epoch, self.total_steps)
    cut = math.floor(self.total_steps * self.cut_frac)
    p = t / cut if t < cut else max(1 - (t - cut) / cut, 0.0)
    return [base_lr * (1 + p * (self.ratio - 1)) / self.ratio for base_lr in self.base_lrs]
