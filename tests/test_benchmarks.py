"""Smoke tests of the benchmark machinery: timing, the results files, one case end to end."""

import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report
from benchmarks.harness import Result, compare
from benchmarks.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
REQUIRED_KEYS = {"name", "minigrad_s", "peer", "peer_s", "ratio", "limit_s"}


def test_compare_times_each_contender_once_per_repetition():
    calls = {"fast": 0, "slow": 0}

    def fast():
        calls["fast"] += 1

    def slow():
        calls["slow"] += 1
        time.sleep(0.001)

    samples = compare({"fast": fast, "slow": slow}, repeats=3, warmup=1, number=2)
    assert {name: len(values) for name, values in samples.items()} == {"fast": 3, "slow": 3}
    assert calls == {"fast": 1 + 3 * 2, "slow": 1 + 3 * 2}, f"calls made: {calls}"
    assert min(samples["slow"]) > max(samples["fast"]), f"samples: {samples}"


def test_results_json_is_a_list_of_rows_with_the_required_keys(tmp_path):
    rows = [Result("case", 2e-3, "torch", 1e-3, 5e-4, max_ratio=1.0),
            Result("skipped_case", None, note="skipped: needs minigrad.nn.Conv2d")]
    machine = {"cpu": "test cpu", "cores": 2, "threads": 2, "python": "3", "platform": "x",
               "blas": "none", "date": "today", "minigrad": "0", "numpy": "2", "numba": None,
               "torch": None, "scipy": None}
    report.write(rows, None, machine, Limits(1e11, 1e10), {}, tmp_path)
    entries = json.loads((tmp_path / "results.json").read_text())
    assert isinstance(entries, list) and len(entries) == 2
    for entry in entries:
        assert REQUIRED_KEYS <= set(entry), f"missing keys {REQUIRED_KEYS - set(entry)}"
    assert entries[0]["ratio"] == 2.0 and entries[0]["met"] is False, entries[0]
    assert "**missed**" in (tmp_path / "results.md").read_text()


def test_the_command_line_runs_one_case_and_writes_its_row(tmp_path):
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only",
                           "tiny_mlp_step", "--output", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    entries = json.loads((tmp_path / "results.json").read_text())
    assert {entry["name"] for entry in entries} >= {"tiny_mlp_step"}, entries
    measured = [e for e in entries if e["name"] == "tiny_mlp_step"]
    assert all(e["minigrad_s"] is None or e["minigrad_s"] > 0 for e in measured), measured
    assert "tiny_mlp_step" in done.stdout
