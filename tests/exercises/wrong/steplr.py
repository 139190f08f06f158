"""Wrong: decays by γ every epoch, ignoring step_size."""


def get_lr(self):
    if self.last_epoch == 0:
        return [group["lr"] for group in self.optimizer.param_groups]
    return [group["lr"] * self.gamma for group in self.optimizer.param_groups]
