"""Exercises: re-implement a piece of minigrad and let its tests say whether it is right.

Each exercise is a region of minigrad's own source, marked ::

    # BEGIN EXERCISE adam
    ...the reference code...
    # END EXERCISE

inside one function or method, its *target*. Two ways to do an exercise:

* in a student copy (``python -m minigrad.exercises student-copy DEST``) every region is
  replaced by ``raise NotImplementedError("exercise <name>: <hint>")``; fill it in there and
  run ``python -m pytest -m ex_<name>`` in DEST;
* or, in this repository, write the whole target function in a file of your own (same name,
  same arguments, its own imports) and swap it in for the tests without editing minigrad:
  ``python -m minigrad.exercises check adam --impl my_adam.py``.

``install`` swaps the function in everywhere minigrad holds it: the class attribute of a
method, and for a module-level function every ``minigrad`` module attribute that is it
(``from x import f`` made copies) and every kernel whose NumPy ``reference`` it is. While an
exercise runs the NumPy backend is used, so kernels call the (swapped) reference.
"""

import argparse
import contextlib
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from minigrad.errors import StateError


@dataclass(frozen=True)
class Exercise:
    """Where the region is and what the student needs to do it."""

    module: str      # the module holding the target, e.g. "minigrad.kernels.optim"
    target: str      # qualified name of the function or method whose body holds the region
    task: str        # one line: what to implement
    read: str        # what to read first: the claim in the notes and the lesson
    hint: str        # put into the stub of the student copy

    @property
    def where(self) -> str:
        return f"{self.module}:{self.target}"


def _ex(where: str, task: str, read: str, hint: str) -> Exercise:
    module, target = where.split(":")
    return Exercise(module, target, task, read, hint)


EXERCISES = {
    "mul_backward": _ex(
        "minigrad.ops.arithmetic:Mul.backward",
        "the gradients of y = a·b with respect to a and b",
        "C28 (chain rule in the notes); the Mul docstring",
        "∂L/∂a = gy·b and ∂L/∂b = gy·a; return None for an input that needs no gradient"),
    "matmul_backward": _ex(
        "minigrad.ops.arithmetic:MatMul.backward",
        "the gradients of y = a @ b, for matrices, vectors and batches",
        "the MatMul docstring",
        "∂L/∂a = gy @ bᵀ, ∂L/∂b = aᵀ @ gy; treat a vector a as a row and b as a column"),
    "sum_backward": _ex(
        "minigrad.ops.reduce:Sum.backward",
        "the gradient of a sum over some dims: broadcast gy back to the input's shape",
        "the module docstring of minigrad.ops.reduce (sum and broadcast are each other's backward)",
        "reshape gy to self.kept (the reduced dims as size 1), then broadcast_to(self.input_shape)"),
    "sum_to": _ex(
        "minigrad.ops.reduce:sum_to_array",
        "undo broadcasting: sum an array down to a shape it was broadcast from",
        "the Add docstring: broadcasting in the forward means summing in the backward",
        "sum over the extra leading dims and over the dims where shape has 1; then reshape"),
    "sigmoid_backward": _ex(
        "minigrad.ops.unary:Sigmoid.backward",
        "the gradient of σ(x) from the saved output y",
        "C27 (σ' ≤ ¼); lesson l08_activations",
        "σ'(x) = y·(1 - y): return gy * y * (1 - y)"),
    "softmax_cross_entropy": _ex(
        "minigrad.kernels.softmax:cross_entropy_backward_reference",
        "∂loss/∂logits of cross-entropy, with class weights, ignore_index and label smoothing",
        "C28; lesson l09_losses; the docstring of minigrad.kernels.softmax",
        "per row: A·softmax(x) - a, a the smoothed weighted target, times row_scale; 0 if ignored"),
    "conv1d_im2col": _ex(
        "minigrad.kernels.conv:im2col_reference",
        "im2col: copy every receptive field into a column (conv1d is height 1)",
        "the docstring of minigrad.kernels.conv",
        "cols[(c,i,j), (n,oh,ow)] = x[n, c, oh·sh - ph + i·dh, ow·sw - pw + j·dw], 0 in padding"),
    "max_pool": _ex(
        "minigrad.kernels.pool:max_pool_indices_reference",
        "max pooling: the flat index y·W + x of each window's largest element",
        "the docstring of minigrad.kernels.pool",
        "pad with -inf, scan each window in row-major order; the first maximum wins, NaN wins"),
    "batchnorm": _ex(
        "minigrad.kernels.norm:batch_norm_backward_reference",
        "the backward of BatchNorm on (N, C, L): grad_x, grad_weight, grad_bias",
        "C31-C33; lesson l10_batchnorm",
        "x̂ = (x-μ)r; gβ = Σgy, gγ = Σgy·x̂; gx = γr(gy - gβ/m - x̂·gγ/m), sums over (0, 2)"),
    "layernorm": _ex(
        "minigrad.kernels.norm:layer_norm_forward_reference",
        "the forward of LayerNorm on (M, D) rows: y, the row means and 1/std",
        "C34; lesson l11_layernorm",
        "μ, σ² per row (biased); r = 1/√(σ² + eps); y = (x - μ)·r·γ + β; return y, μ, r"),
    "dropout_inverted": _ex(
        "minigrad.nn.functional:_dropout",
        "training-time dropout: zero with probability p, and (inverted) scale survivors",
        "C09, C13; lesson l04_dropout_basics",
        "mask = (uniform >= p) from minigrad.random.generator(); inverted: mask / (1 - p)"),
    "dropout_vanilla": _ex(
        "minigrad.nn.functional:_dropout",
        "evaluation-time dropout: identity (inverted) or times (1 - p) (vanilla)",
        "C09, C14; lesson l04_dropout_basics",
        "not training: return input if inverted else input * (1 - p)"),
    "xavier_init": _ex(
        "minigrad.nn.init:xavier_uniform_",
        "Xavier/Glorot uniform initialization",
        "C21; lesson l06_initialization",
        "U(-a, a) with a = gain·√(6 / (fan_in + fan_out)); use _calculate_fan_in_and_fan_out"),
    "he_init": _ex(
        "minigrad.nn.init:kaiming_uniform_",
        "He/Kaiming uniform initialization",
        "C22; lesson l06_initialization",
        "U(-a, a) with a = √3·gain/√fan, gain = calculate_gain(nonlinearity, a)"),
    "orthogonal_init": _ex(
        "minigrad.nn.init:orthogonal_",
        "orthogonal initialization: a (semi-)orthogonal matrix times gain",
        "C23; lesson l06_initialization",
        "QR of a Gaussian (rows × rest) matrix (transposed if wide); fold sign(diag R) into Q"),
    "l1_penalty": _ex(
        "minigrad.nn.utils:l1_penalty",
        "the L1 penalty Σ|θ| over all parameters, differentiable",
        "C02, C03; lesson l01_regularization",
        "sum p.abs().sum() over the parameters (a Tensor, so that it has a gradient)"),
    "l2_penalty": _ex(
        "minigrad.nn.utils:l2_penalty",
        "the L2 penalty ½Σθ² over all parameters, differentiable",
        "C01, C03; lesson l01_regularization",
        "0.5 · Σ (p * p).sum(); its gradient is θ itself"),
    "clip_grad_norm": _ex(
        "minigrad.nn.utils:clip_grad_norm_",
        "scale all gradients together so that their joint norm is at most max_norm",
        "the clip_grad_norm_ docstring",
        "total = p-norm of all entries (inf: max |g|); g *= min(1, max_norm/(total + 1e-6))"),
    "sgd_momentum_nesterov": _ex(
        "minigrad.kernels.optim:sgd_update_reference",
        "one SGD step with weight decay, momentum, dampening and Nesterov, in place",
        "C39 (momentum, Nesterov); lesson l20_gradient_descent",
        "b ← g at the first step, else μb + (1-τ)g; step g + μb (Nesterov) or b; θ -= lr·step"),
    "adagrad": _ex(
        "minigrad.kernels.optim:adagrad_update_reference",
        "one Adagrad step, in place",
        "C42, C43 (Adagrad's shrinking steps); lesson l22_adaptive",
        "G += g²;  θ -= clr · g / (√G + eps)"),
    "rmsprop": _ex(
        "minigrad.kernels.optim:rmsprop_update_reference",
        "one RMSprop step (centered and momentum variants), in place",
        "C42 (RMSprop fixes Adagrad's decay); lesson l22_adaptive",
        "v ← αv + (1-α)g²; centered: ḡ ← αḡ + (1-α)g, use v - ḡ²; step g/(√v + eps)"),
    "adam": _ex(
        "minigrad.kernels.optim:adam_update_reference",
        "one Adam step (and AMSGrad) with the bias corrections folded into step_size and eps",
        "C45; lesson l23_adam_family; the docstring of minigrad.kernels.optim",
        "m ← β₁m + (1-β₁)g; v ← β₂v + (1-β₂)g²; θ -= step_size·m/(√v + eps)"),
    "adamw": _ex(
        "minigrad.optim.adam:decoupled",
        "AdamW's decoupled weight decay: which λ is coupled (L2) and which shrink θ gets",
        "C46 (decoupled weight decay); lesson l23_adam_family",
        "decoupled: (0.0, 1 - lr·λ), else (λ, 1.0)"),
    "armijo": _ex(
        "minigrad.optim.line_search:armijo",
        "backtracking line search with the Armijo sufficient-decrease test",
        "C40; lesson l20_gradient_descent; the docstring of minigrad.optim.line_search",
        "accept the first t with φ(t) ≤ f0 + c1·t·slope, else t *= shrink; return (t, φ(t), evals)"),
    "newton_step": _ex(
        "minigrad.optim.newton:_solve",
        "the Newton direction: solve (H + λI) d = -g",
        "C41 (Newton converges quadratically); lesson l21_second_order",
        "np.linalg.solve, and a StateError naming damping when the matrix is singular"),
    "bfgs_update": _ex(
        "minigrad.optim.bfgs:BFGS._update_inverse_hessian",
        "the BFGS update of the inverse Hessian from s = Δθ and y = Δ∇",
        "C41; lesson l21_second_order",
        "H ← (I - ρsyᵀ)H(I - ρysᵀ) + ρssᵀ, ρ = 1/yᵀs; skip (count it) when yᵀs ≤ 1e-10"),
    "secant": _ex(
        "minigrad.optim.scalar:secant",
        "the secant method for a root of f (or of f' when minimizing)",
        "C41 (the secant method's order ≈ 1.618); lesson l21_second_order",
        "x₂ = x₁ - r₁(x₁ - x₀)/(r₁ - r₀); stop when |x₂ - x₁| ≤ tol·(1 + |x₁|)"),
    "steplr": _ex(
        "minigrad.optim.lr_scheduler:StepLR.get_lr",
        "StepLR, the recursive form: multiply the lr by γ every step_size epochs",
        "C47; lesson l30_schedules",
        "at last_epoch 0 or not a multiple of step_size keep the lrs, else multiply them by γ"),
    "cosine_warm_restarts": _ex(
        "minigrad.optim.lr_scheduler:CosineAnnealingWarmRestarts.step",
        "SGDR: advance T_cur, restart at T_i, grow the period by T_mult",
        "C53; lesson l30_schedules",
        "T_cur += 1; when T_cur ≥ T_i: T_cur -= T_i, T_i *= T_mult; then set the groups' lr"),
    "slanted_triangular": _ex(
        "minigrad.optim.lr_scheduler:SlantedTriangularLR.get_lr",
        "ULMFiT's slanted triangular learning rate",
        "lesson l31_fine_tuning",
        "cut = ⌊T·cut_frac⌋; p = t/cut, then 1 - (t-cut)/(cut(1/cut_frac - 1)); η(1+p(r-1))/r"),
    "early_stopping": _ex(
        "minigrad.train.callbacks:EarlyStopping.on_epoch_end",
        "early stopping: remember the best epoch, stop after `patience` epochs without one",
        "C08; lesson l03_early_stopping",
        "improves: best, best_epoch, wait = value, epoch + 1, 0 (save weights); else wait += 1"),
}


# -- swapping an implementation in -------------------------------------------------------------

def _resolve(exercise: Exercise):
    """(the object holding the target, its attribute name, the function there now)."""
    holder = importlib.import_module(exercise.module)
    *path, attr = exercise.target.split(".")
    for part in path:
        holder = getattr(holder, part)
    return holder, attr, holder.__dict__[attr]


def load_impl(name: str, impl_path) -> object:
    """The function the student's file defines under the target's name."""
    exercise = _exercise(name)
    attr = exercise.target.split(".")[-1]
    spec = importlib.util.spec_from_file_location(f"_exercise_{name}", impl_path)
    if spec is None:
        raise StateError(f"exercise {name}: cannot load {impl_path} as a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, attr, None)):
        raise StateError(f"exercise {name}: {impl_path} must define a function {attr!r} "
                         f"(it replaces {exercise.where})")
    return getattr(module, attr)


def install(name: str, impl_path) -> callable:
    """Swap the student's function in for the exercise's target; returns the undo function."""
    from minigrad import backend
    from minigrad.kernels._jit import Kernel

    exercise = _exercise(name)
    impl = load_impl(name, impl_path)
    holder, attr, original = _resolve(exercise)
    undo = [(holder, attr, original)]
    if isinstance(holder, type):
        setattr(holder, attr, impl)
    else:  # a module-level function: replace every reference minigrad holds to it
        for module in [m for key, m in list(sys.modules.items())
                       if key.split(".")[0] == "minigrad" and m is not None]:
            for key, value in list(vars(module).items()):
                if value is original:
                    undo.append((module, key, value))
                    setattr(module, key, impl)
                elif isinstance(value, Kernel) and value.reference is original:
                    undo.append((value, "reference", original))
                    value.reference = impl
    previous_backend = backend.get()
    backend.use("numpy")  # so that kernels call their (swapped) reference

    def restore() -> None:
        for obj, key, value in reversed(undo):
            setattr(obj, key, value)
        backend.use(previous_backend)

    return restore


@contextlib.contextmanager
def installed(name: str, impl_path):
    """``with installed("adam", "my_adam.py"): ...`` runs with the student's function."""
    restore = install(name, impl_path)
    try:
        yield
    finally:
        restore()


def _exercise(name: str) -> Exercise:
    if name not in EXERCISES:
        raise StateError(f"unknown exercise {name!r}; `python -m minigrad.exercises list` "
                         f"lists them")
    return EXERCISES[name]


# -- the student copy ---------------------------------------------------------------------------

_BEGIN = re.compile(r"^(\s*)# BEGIN EXERCISE (\w+)\s*$")
_END = re.compile(r"^\s*# END EXERCISE\s*$")
_NOT_COPIED = ("__pycache__", "*.pyc", ".git", "*.egg-info", ".pytest_cache", ".hypothesis",
               ".venv", "build", "output",
               "test_mechanism.py", "wrong")  # the maintainers' proof needs the references


def stub_regions(source: str) -> str:
    """``source`` with each exercise region replaced by a NotImplementedError with its hint
    (the marker lines stay, to show where the code goes)."""
    out, inside = [], False
    for line in source.splitlines(keepends=True):
        begin = _BEGIN.match(line)
        if begin:
            indent, name = begin.groups()
            hint = EXERCISES[name].hint if name in EXERCISES else "see minigrad.exercises"
            out += [line, f"{indent}raise NotImplementedError({f'exercise {name}: {hint}'!r})\n"]
            inside = True
        elif _END.match(line):
            out.append(line)
            inside = False
        elif not inside:
            out.append(line)
    return "".join(out)


def student_copy(dest) -> Path:
    """Copy the repository (or, for an installed package, the package) to ``dest`` with every
    exercise region stubbed out."""
    package = Path(__file__).resolve().parent
    root = package.parent if (package.parent / "tests").is_dir() else None
    dest = Path(dest)
    if dest.exists():
        raise StateError(f"student-copy: {dest} exists already; choose a new directory")
    ignore = shutil.ignore_patterns(*_NOT_COPIED)
    if root is not None:
        shutil.copytree(root, dest, ignore=ignore)
    else:
        shutil.copytree(package, dest / package.name, ignore=ignore)
    for path in (dest / package.name).rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "# BEGIN EXERCISE" in source:
            path.write_text(stub_regions(source), encoding="utf-8")
    return dest


# -- command line -------------------------------------------------------------------------------

def _list() -> None:
    for name, exercise in EXERCISES.items():
        print(f"{name:<22} {exercise.task}\n{'':<22} target: {exercise.where}\n"
              f"{'':<22} read first: {exercise.read}\n"
              f"{'':<22} check: python -m minigrad.exercises check {name} --impl my_{name}.py\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minigrad.exercises",
                                     description="minigrad's exercises")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the exercises")
    copy = commands.add_parser("student-copy", help="copy the repository with the regions stubbed")
    copy.add_argument("dest")
    check = commands.add_parser("check", help="run one exercise's tests on your implementation")
    check.add_argument("name", choices=sorted(EXERCISES))
    check.add_argument("--impl", help="a file defining the target function (default: minigrad's)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "list":
        _list()
        return 0
    if args.command == "student-copy":
        print(f"student copy written to {student_copy(args.dest)}")
        return 0
    command = [sys.executable, "-m", "pytest", "-m", f"ex_{args.name}", "--exercise", args.name]
    if args.impl:
        command += ["--impl", str(Path(args.impl).resolve())]
    root = Path(__file__).resolve().parent.parent
    return subprocess.call(command + ["tests/exercises", *rest], cwd=root)


if __name__ == "__main__":
    sys.exit(main())
