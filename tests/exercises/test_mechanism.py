"""The exercise mechanism works: every exercise has tests, they pass with minigrad's reference
and fail with a deliberately wrong implementation swapped in (tests/exercises/wrong/<name>.py),
the command line runs one exercise on a student's file, and the student copy stubs out exactly
the marked regions.

The wrong implementations are swapped in and out in-process and the exercise's test functions
called directly (they take no fixtures), which keeps this proof to about a second.
"""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from minigrad import backend
from minigrad.exercises import EXERCISES, installed, stub_regions, student_copy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _test_functions():
    """{exercise name: [test functions marked ex_<name>]} from tests/exercises/test_ex_*.py."""
    found = {name: [] for name in EXERCISES}
    for path in sorted(HERE.glob("test_ex_*.py")):
        spec = importlib.util.spec_from_file_location(f"_exercise_tests_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", []) if callable(value) else []:
                if mark.name.startswith("ex_"):
                    found[mark.name[3:]].append(value)
    return found


TESTS = _test_functions()


def _failures(tests) -> list:
    """The tests that fail (raise anything but a skip), as 'name: first line of the error'."""
    failed = []
    for test in tests:
        backend.use("numpy")
        try:
            test()
        except pytest.skip.Exception:
            continue
        except (Exception, pytest.fail.Exception) as error:  # assertion or crash
            failed.append(f"{test.__name__}: {type(error).__name__}: {str(error).splitlines()[0]}")
    return failed


def test_every_exercise_has_tests_and_a_wrong_implementation():
    assert not [name for name, tests in TESTS.items() if len(tests) < 2], \
        "exercises with fewer than two tests"
    assert sorted(p.stem for p in (HERE / "wrong").glob("*.py")) == sorted(EXERCISES)


def test_every_marked_region_is_in_the_catalogue_and_inside_its_target():
    import importlib
    import inspect

    for name, exercise in EXERCISES.items():
        target = importlib.import_module(exercise.module)
        for part in exercise.target.split("."):
            target = getattr(target, part)
        source = inspect.getsource(target)
        assert f"# BEGIN EXERCISE {name}\n" in source, f"{name}: no region in {exercise.where}"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_exercise_passes_with_the_reference_and_fails_with_a_wrong_implementation(name):
    assert _failures(TESTS[name]) == [], f"{name}: the reference fails its own tests"
    with installed(name, HERE / "wrong" / f"{name}.py"):
        failed = _failures(TESTS[name])
    assert failed, f"{name}: the wrong implementation in wrong/{name}.py passes every test"
    assert _failures(TESTS[name]) == [], f"{name}: the reference was not restored"


def test_install_patches_the_kernel_reference_and_forces_the_numpy_backend():
    from minigrad.kernels import optim as kernels

    original = kernels.adam_update.reference
    backend.use("numba")
    with installed("adam", HERE / "wrong" / "adam.py"):
        assert backend.get() == "numpy"
        assert kernels.adam_update.reference is not original
        assert kernels.adam_update_reference is kernels.adam_update.reference
    assert kernels.adam_update.reference is original and backend.get() == "numba"


def test_stub_regions_replaces_the_body_with_a_hint_at_its_indent():
    source = ("def f(x):\n    y = 1\n    # BEGIN EXERCISE adam\n    return x + y\n"
              "    # END EXERCISE\n")
    stubbed = stub_regions(source)
    assert "return x + y" not in stubbed
    assert "    raise NotImplementedError('exercise adam: " in stubbed
    namespace = {}
    exec(compile(stubbed, "<stub>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="exercise adam: m ← β₁m"):
        namespace["f"](1)


def test_student_copy_stubs_every_target_and_still_imports(tmp_path):
    dest = student_copy(tmp_path / "copy")
    script = (
        "import numpy as np, minigrad as mg\n"
        "from minigrad.nn import init, functional as F\n"
        "assert 'copy' in mg.__file__, mg.__file__\n"
        "x = mg.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = (x + 1).exp()\n"  # ops outside the exercises still work
        "y.backward(mg.ones(2))\n"
        "try:\n"
        "    init.xavier_uniform_(mg.empty(3, 4))\n"
        "except NotImplementedError as error:\n"
        "    print(error)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=dest, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("exercise xavier_init: U(-a, a)"), result.stdout
    assert not (dest / "tests" / "exercises" / "wrong").exists()
    sources = "".join(p.read_text() for p in (dest / "minigrad").rglob("*.py")
                      if p.name != "exercises.py")
    stubs = re.findall(r"^\s*raise NotImplementedError\(['\"]exercise (\w+)", sources, re.MULTILINE)
    assert sorted(stubs) == sorted(EXERCISES)


def test_check_command_fails_a_wrong_file_and_names_the_expected_value():
    result = subprocess.run(
        [sys.executable, "-m", "minigrad.exercises", "check", "l2_penalty", "--impl",
         str(HERE / "wrong" / "l2_penalty.py"), "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "l2_penalty, at two parameters:\nE         expected" in result.stdout, result.stdout
    assert "1 passed" not in result.stdout and "deselected" in result.stdout
