"""Wrong: restarts without growing the period (T_mult ignored)."""


def step(self, epoch=None):
    if self.last_epoch < 0:
        self.T_cur = 0
    else:
        self.T_cur += 1
        if self.T_cur >= self.T_i:
            self.T_cur -= self.T_i
    self.last_epoch += 1
    for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
        group["lr"] = lr
    self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
