"""Speed cases, one module per family. ``CASES`` maps each case's name to the function that
runs it (``Context`` → rows of results), in the order they run."""

from benchmarks.cases import kernels, mnist1d_cnn, startup, steps, tiny_mlp

CASES = {
    "tiny_mlp_step": tiny_mlp.run,
    "mlp_step": steps.mlp_step,
    "cnn_step": steps.cnn_step,
    "lstm_fwd_bwd": steps.lstm_fwd_bwd,
    "adam_10m": steps.adam_10m,
    "mnist1d_cnn": mnist1d_cnn.run,
    "kernels": kernels.run,
    "import": startup.import_time,
    "first_step": startup.first_step,
    "cold_compile": startup.cold_compile,
}
