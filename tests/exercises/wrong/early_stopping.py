"""Wrong: does not reset the count of bad epochs when an epoch improves."""


def on_epoch_end(self, run):
    value = run.history[self.monitor][-1]
    if self._improves(value):
        self.best, self.best_epoch = value, run.epoch + 1
        if self.restore_best:
            self._best_weights = run.model.state_dict()
        return
    self.wait += 1
    if self.wait >= self.patience:
        self.stopped_epoch = run.epoch + 1
        run.stop = True
