# %% [markdown]
# # Sequence models: a character-level language model (C66); GRU or LSTM? (C65)
#
# > 总的来说，Language Model是一种预测下一个词是什么的模型。(note 000)
# >
# > English: "In short, a language model is a model that predicts what the next word is."
# > — **C66**
#
# > GRU和LSTM在大部分任务上效果差不多。(note 004)
# >
# > English: "GRU and LSTM perform about the same on most tasks." — **C65**
#
# One set of experiments serves both claims. A small recurrent network reads the verse corpus
# shipped with minigrad one character at a time and predicts the next character (C66); we train
# it once with an LSTM and once with a GRU of the same parameter count, for the same number of
# steps, over several seeds, and do the same on a second task, the adding problem (C65).

# %%
import time

import numpy as np
from matplotlib.ticker import FormatStrFormatter

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from minigrad import nn, optim
from minigrad.data.datasets import adding_task, char_corpus
from minigrad.plot import subplots

lesson = Lesson("l44_sequence_models")
SEEDS = [lesson.seed + i for i in range(3)]
# The contenders: PyTorch's default LSTM and GRU, and an LSTM whose forget gate starts open
# (bias 1: the init C26 recommends), as it is the LSTM most practitioners actually train.
ARMS = {"LSTM": (nn.LSTM, 0.0), "LSTM, forget bias 1": (nn.LSTM, 1.0), "GRU": (nn.GRU, None)}
COLORS = {"LSTM": "C0", "LSTM, forget bias 1": "C2", "GRU": "C3"}


def plain_log_ticks(ax, minor: bool = True) -> None:
    """Tick labels 7, 8, 10, 20 rather than 7×10⁰, 2×10¹ on a log axis (``minor=False`` on an
    axis spanning several decades, where labelled minor ticks would overlap)."""
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    if minor:
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))


def recurrent(arm: str, inputs: int, hidden: int) -> nn.Module:
    """One batch-first recurrent layer of ``arm``; an LSTM's forget-gate bias (the second of its
    four gate blocks, i f g o) starts at the arm's value (PyTorch's default init otherwise)."""
    cell, forget_bias = ARMS[arm]
    layer = cell(inputs, hidden, batch_first=True)
    if forget_bias:
        layer.bias_ih_l0.data[hidden:2 * hidden] = forget_bias
        layer.bias_hh_l0.data[hidden:2 * hidden] = 0.0
    return layer

# %% [markdown]
# ## The corpus and two baselines that know no context
#
# `char_corpus()` is ~58 000 characters of public-domain English verse (Shakespeare's sonnets
# and speeches, other poems), 75 distinct characters. The first 90 % is the training text, the
# last 10 % the validation text. A language model is scored by its **perplexity** on the
# validation text, exp(mean −log p(next char)): the number of equally likely characters it is
# as unsure as. Two baselines, counted on the training text:
# - **unigram**: p(c) = the character's frequency — it ignores the context entirely;
# - **bigram**: p(c | previous char), counts + 0.1 smoothing — one character of context.
#
# Uniform guessing would score 75. A model that "predicts the next token" from what it has
# read must beat both baselines.

# %%
corpus = char_corpus()
V = corpus.vocab_size
split = int(0.9 * len(corpus.data))
train_text, val_text = corpus.data[:split], corpus.data[split:]


def unigram_perplexity(train: np.ndarray, val: np.ndarray, smoothing: float = 1.0) -> float:
    counts = np.bincount(train, minlength=V) + smoothing
    return float(np.exp(-np.log(counts / counts.sum())[val].mean()))


def bigram_perplexity(train: np.ndarray, val: np.ndarray, smoothing: float = 0.1) -> float:
    counts = np.full((V, V), smoothing)
    np.add.at(counts, (train[:-1], train[1:]), 1)
    probs = counts / counts.sum(1, keepdims=True)
    return float(np.exp(-np.log(probs[val[:-1], val[1:]]).mean()))


UNIGRAM, BIGRAM = unigram_perplexity(train_text, val_text), bigram_perplexity(train_text, val_text)
print(f"{len(corpus.text)} characters, vocabulary {V}; validation perplexity: uniform {V}, "
      f"unigram {UNIGRAM:.2f}, bigram {BIGRAM:.2f}")

# %% [markdown]
# ## The model and truncated back-propagation through time
#
# Embedding (75 → 32) → one recurrent layer → Linear to 75 logits at every step. The training
# text is cut into B parallel streams; a step reads the next T characters of every stream and is
# trained with cross-entropy against the same characters shifted by one. The hidden state is
# carried from one chunk to the next (so the model sees context beyond T characters) but
# `detach()`-ed, so gradients flow back only T steps: **truncated BPTT**. Adam, lr 3·10⁻³,
# gradient norm clipped at 1 (note 004: RNNs need it). Validation perplexity is measured after
# each epoch (one pass over the training streams), the state carried across the whole
# validation text.
#
# **Same budget** for C65: the GRU gets the hidden size whose total parameter count is closest to
# the LSTM's, and all three contenders (LSTM, LSTM with forget bias 1, GRU) train for the same
# number of epochs on the same batches with the same optimizer.

# %%
EMBED = 32
HIDDEN = lesson.pick(full=96, fast=48)
SEQ_LEN = lesson.pick(full=48, fast=32)
BATCH = 32
EPOCHS = lesson.pick(full=16, fast=3)
TRAIN_CHARS = lesson.pick(full=len(train_text), fast=12000)  # fast mode: a slice of the text
LR, CLIP = 3e-3, 1.0


class CharLM(nn.Module):
    """Embedding → LSTM/GRU → Linear: logits of the next character at every position."""

    def __init__(self, arm: str, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(V, EMBED)
        self.rnn = recurrent(arm, EMBED, hidden)
        self.head = nn.Linear(hidden, V)

    def forward(self, x: mg.Tensor, state=None):
        out, state = self.rnn(self.embed(x), state)
        return self.head(out), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def matched_hidden(make, reference: int, target: int) -> int:
    """The GRU hidden size whose model's parameter count is closest to ``target``."""
    return min(range(reference // 2, 2 * reference), key=lambda h: abs(n_params(make(h)) - target))


def streams(data: np.ndarray, batch: int) -> np.ndarray:
    length = len(data) // batch
    return data[:batch * length].reshape(batch, length)


def mean_nll(model: CharLM, data: np.ndarray, batch: int = 16) -> float:
    """Mean −log p(next char) over ``data``, the state carried across chunks."""
    text, state, total, count = streams(data, batch), None, 0.0, 0
    with mg.no_grad():
        for start in range(0, text.shape[1] - 1, SEQ_LEN):
            x = text[:, start:start + SEQ_LEN + 1]
            logits, state = model(mg.tensor(x[:, :-1]), state)
            total += float(F.cross_entropy(logits.reshape(-1, V), mg.tensor(x[:, 1:].ravel()),
                                           reduction="sum").item())
            count += x[:, 1:].size
    return total / count


def train_lm(arm: str, hidden: int, seed: int) -> dict:
    mg.manual_seed(seed)
    model = CharLM(arm, hidden)
    optimizer = optim.Adam(model.parameters(), lr=LR)
    text = streams(train_text[:TRAIN_CHARS], BATCH)
    train_ppl, val_ppl, start = [], [], time.process_time()
    steps = 0
    for _ in range(EPOCHS):
        state, losses = None, []
        for begin in range(0, text.shape[1] - SEQ_LEN - 1, SEQ_LEN):
            x = text[:, begin:begin + SEQ_LEN + 1]
            logits, state = model(mg.tensor(x[:, :-1]), state)
            state = detach(state)
            loss = F.cross_entropy(logits.reshape(-1, V), mg.tensor(x[:, 1:].ravel()))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            losses.append(loss.item())
            steps += 1
        train_ppl.append(float(np.exp(np.mean(losses))))
        val_ppl.append(float(np.exp(mean_nll(model, val_text))))
    seconds = time.process_time() - start  # CPU time: the machine may be shared
    return {"model": model, "train": np.array(train_ppl), "val": np.array(val_ppl),
            "cpu_ms_per_step": 1000 * seconds / steps, "steps": steps}


def matched_hiddens(make, hidden: int) -> dict:
    """Each arm's hidden size: ``hidden`` for the LSTMs, the parameter-matched one for a GRU."""
    target = n_params(make("LSTM", hidden))
    return {arm: hidden if ARMS[arm][0] is nn.LSTM else
            matched_hidden(lambda h, arm=arm: make(arm, h), hidden, target) for arm in ARMS}


LM_HIDDEN = matched_hiddens(CharLM, HIDDEN)
LM_PARAMS = {arm: n_params(CharLM(arm, h)) for arm, h in LM_HIDDEN.items()}
lm_runs = {arm: [train_lm(arm, LM_HIDDEN[arm], s) for s in SEEDS] for arm in ARMS}
for arm, runs in lm_runs.items():
    print(f"{arm}: hidden {LM_HIDDEN[arm]}, {LM_PARAMS[arm]} parameters, {runs[0]['steps']} "
          f"steps of {BATCH}×{SEQ_LEN} characters, {runs[0]['cpu_ms_per_step']:.0f} CPU ms/step "
          "(validation included)")

# %%
epochs = np.arange(1, EPOCHS + 1)
fig, ax = subplots(figsize=(9, 5.5))
for arm, runs in lm_runs.items():
    for key, style in (("train", ":"), ("val", "-")):
        curves = np.array([r[key] for r in runs])
        ax.plot(epochs, curves.mean(0), style, color=COLORS[arm],
                label=f"{arm}, {key} ({LM_PARAMS[arm]} params)")
        ax.fill_between(epochs, curves.min(0), curves.max(0), color=COLORS[arm], alpha=0.15)
ax.axhline(UNIGRAM, color="gray", ls="--", label=f"unigram baseline (val) {UNIGRAM:.1f}")
ax.axhline(BIGRAM, color="black", ls="--", label=f"bigram baseline (val) {BIGRAM:.1f}")
ax.set_yscale("log")
plain_log_ticks(ax)
ax.set(xlabel="epoch (one pass over the training text)", ylabel="perplexity (log scale)",
       title=f"C66/C65: character LM on the verse corpus, mean of {len(SEEDS)} seeds "
             "(band: min–max)")
ax.legend(fontsize=8, ncol=2, loc="lower left")
lesson.figure(fig, "c66_perplexity")

# %% [markdown]
# ## C66: does it predict the next character?
#
# Samples show what the prediction has learned: we feed a seed string, then draw each next
# character from softmax(logits / temperature) and feed it back in (lower temperature = more
# conservative choices). The model is PyTorch's default LSTM, seed 0, after the last epoch.
#
# **Rule.** The default LSTM's best validation perplexity (mean over seeds) is compared with
# the baselines: below the bigram baseline → REPRODUCED (it predicts the next character from
# more context than the previous character); below the unigram baseline only → NUANCED; not
# below the unigram baseline → NOT REPRODUCED (it learned nothing beyond character
# frequencies).

# %%
def sample(model: CharLM, prompt: str, length: int, temperature: float) -> str:
    rng = mg.random.generator()
    state, ids = None, list(corpus.encode(prompt))
    x = ids
    with mg.no_grad():
        for _ in range(length):
            logits, state = model(mg.tensor(np.array([x])), state)
            z = logits.data[0, -1].astype(np.float64) / temperature
            p = np.exp(z - z.max())
            x = [int(rng.choice(V, p=p / p.sum()))]
            ids.append(x[0])
    return corpus.decode(ids)


PROMPT = "Shall I compare thee"
mg.manual_seed(lesson.seed)
samples = {t: sample(lm_runs["LSTM"][0]["model"], PROMPT, lesson.pick(full=240, fast=80), t)
           for t in (0.5, 0.8, 1.0)}
for t, text in samples.items():
    print(f"--- LSTM sample, temperature {t}:\n{text}\n")

best_val = {arm: np.array([r["val"].min() for r in runs]) for arm, runs in lm_runs.items()}
lstm_ppl = best_val["LSTM"]
status66 = ("REPRODUCED" if lstm_ppl.mean() < BIGRAM else
            "NUANCED" if lstm_ppl.mean() < UNIGRAM else "NOT REPRODUCED")
lesson.verdict(
    "C66", status66,
    f"LSTM ({LM_PARAMS['LSTM']} params, {EPOCHS} epochs, truncated BPTT {SEQ_LEN}) validation "
    f"perplexity {lstm_ppl.mean():.2f} ± {lstm_ppl.std():.2f} ({len(SEEDS)} seeds) vs unigram "
    f"{UNIGRAM:.2f}, bigram {BIGRAM:.2f}, uniform {V}; sample (T=0.8): "
    f"{samples[0.8][:120]!r}",
    claim="A language model predicts the next token",
    figures=["c66_perplexity"])

# %% [markdown]
# **What it means.** "Predicting the next token" is the whole training signal: cross-entropy of
# the next character, nothing else. The unigram baseline knows only how common each character
# is; the bigram baseline knows which character tends to follow which; the recurrent model
# carries a state through the text and gets well below both — its samples have words, line
# breaks and capitalized line starts, though little sense with 58 KB of text and a few hundred
# steps. (The training perplexity is averaged over an epoch while the model improves, so it
# starts above the validation one.) Later the training perplexity falls below the validation
# one: on a corpus this small a network of this size starts to memorize, which is why we report
# the best validation perplexity (early stopping).
#
# ## C65: GRU vs LSTM, same parameter count, same steps
#
# Task 1 is the character LM above. Task 2 is the **adding problem**: sequences of T pairs
# (value ~ U(0,1), marker), predict the sum of the two marked values; always answering 1
# scores MSE 1/6. The two LSTMs (default, forget bias 1) of hidden size 32 and a GRU of the
# hidden size that matches their parameter count, Linear read-out of the last state, Adam lr
# 10⁻², batches of 64, clipping 1, the same number of steps; we record the test MSE at the end.
#
# **Rule.** Per task, the *noise* is the seed standard deviation (pooled over the two models
# compared, √((σ²_LSTM + σ²_GRU)/2), 3 seeds each). An LSTM and the GRU are "about the
# same" on a task if |mean_LSTM − mean_GRU| ≤ noise. REPRODUCED if PyTorch's default LSTM is
# about the same as the GRU on both tasks; NUANCED if not, but on at least one task one of the
# two LSTMs (default or forget bias 1) is; NOT REPRODUCED if neither LSTM matches the GRU on
# any task.

# %%
ADD_LEN = lesson.pick(full=50, fast=20)
ADD_STEPS = lesson.pick(full=1200, fast=100)
ADD_HIDDEN = 32
adding = adding_task(num_samples=lesson.pick(full=4000, fast=1000), seq_len=ADD_LEN, seed=0)


class LastStep(nn.Module):
    """LSTM/GRU over the sequence, a Linear read-out of the last hidden state."""

    def __init__(self, arm: str, hidden: int):
        super().__init__()
        self.rnn = recurrent(arm, 2, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def train_adding(arm: str, hidden: int, seed: int) -> np.ndarray:
    """Test MSE after every 1/10 of the steps."""
    mg.manual_seed(seed)
    model = LastStep(arm, hidden)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    x_test, y_test = mg.tensor(adding.X_test), mg.tensor(adding.y_test)
    n, curve = len(adding.X_train), []
    for step in range(1, ADD_STEPS + 1):
        rows = mg.random.generator().integers(0, n, 64)
        loss = F.mse_loss(model(mg.tensor(adding.X_train[rows])), mg.tensor(adding.y_train[rows]))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        if step % (ADD_STEPS // 10) == 0:
            with mg.no_grad():
                curve.append(F.mse_loss(model(x_test), y_test).item())
    return np.array(curve)


ADD_HIDDENS = matched_hiddens(LastStep, ADD_HIDDEN)
ADD_PARAMS = {arm: n_params(LastStep(arm, h)) for arm, h in ADD_HIDDENS.items()}
add_runs = {arm: np.array([train_adding(arm, ADD_HIDDENS[arm], s) for s in SEEDS]) for arm in ARMS}

# %%
fig, axes = subplots(1, 3, figsize=(18, 4.8))
checkpoints = np.linspace(ADD_STEPS / 10, ADD_STEPS, 10)
for arm, curves in add_runs.items():
    for i, curve in enumerate(curves):
        axes[0].plot(checkpoints, curve, color=COLORS[arm], alpha=0.8,
                     label=f"{arm} (hidden {ADD_HIDDENS[arm]}, {ADD_PARAMS[arm]} params)"
                     if i == 0 else None)
axes[0].axhline(1 / 6, color="gray", ls="--", label="always answer 1 (1/6)")
axes[0].set_yscale("log")
plain_log_ticks(axes[0], minor=False)
axes[0].set(xlabel="training step (batches of 64)", ylabel="test MSE (log scale)",
            title=f"C65: adding problem, T = {ADD_LEN}, one line per seed")
axes[0].legend(fontsize=8, loc=lesson.pick(full="upper right", fast="lower left"))

finals = {"char LM": ("best val perplexity", best_val),
          f"adding (T={ADD_LEN})": ("final test MSE", {a: r[:, -1] for a, r in add_runs.items()})}
for ax, (task, (metric, values)) in zip(axes[1:], finals.items()):
    for k, (arm, v) in enumerate(values.items()):
        ax.errorbar(k, v.mean(), yerr=v.std(), fmt="s", ms=9, capsize=8, color=COLORS[arm],
                    label="mean ± seed std" if k == 0 else None)
        ax.scatter(k + np.linspace(-0.12, 0.12, len(v)), v, color="black", zorder=3, s=14,
                   label="one seed" if k == 0 else None)
    ax.set_xticks(range(len(ARMS)), [a.replace(", ", "\n") for a in ARMS])
    ax.set_xlim(-0.6, len(ARMS) - 0.4)
    ax.set_yscale("log", nonpositive="clip")
    plain_log_ticks(ax)
    ax.set(ylabel=f"{metric} (log scale)", title=f"C65: {task}, {metric} ({len(SEEDS)} seeds)")
    ax.legend(fontsize=8)
lesson.figure(fig, "c65_lstm_vs_gru")

# %%
def compare(lstm: np.ndarray, gru: np.ndarray) -> tuple[bool, str]:
    """(about the same?, text): |Δ mean| against the pooled seed std."""
    noise = float(np.sqrt((lstm.var() + gru.var()) / 2))
    gap = abs(float(lstm.mean() - gru.mean()))
    return gap <= noise, (f"{lstm.mean():.4g} ± {lstm.std():.2g} (|Δ| {gap:.3g} "
                          f"{'≤' if gap <= noise else '>'} noise {noise:.3g}, "
                          f"{gap / gru.mean():.0%} of GRU)")


same, parts = {}, []
for task, (metric, values) in finals.items():
    gru = values["GRU"]
    texts = []
    for arm in ("LSTM", "LSTM, forget bias 1"):
        same[task, arm], text = compare(values[arm], gru)
        texts.append(f"{arm} {text}")
    parts.append(f"{task} {metric}: GRU {gru.mean():.4g} ± {gru.std():.2g}, " + ", ".join(texts))
default_same = [same[task, "LSTM"] for task in finals]
status65 = ("REPRODUCED" if all(default_same) else "NUANCED" if any(same.values())
            else "NOT REPRODUCED")
lesson.verdict(
    "C65", status65,
    "; ".join(parts) + f" (always answering 1: MSE {1 / 6:.3f}). Budgets: LM "
    f"{LM_PARAMS['LSTM']} vs {LM_PARAMS['GRU']} params, "
    f"{EPOCHS} epochs; adding {ADD_PARAMS['LSTM']} vs {ADD_PARAMS['GRU']} params, {ADD_STEPS} "
    "steps",
    claim="GRU and LSTM perform about the same on most tasks",
    figures=["c65_lstm_vs_gru", "c66_perplexity"])

# %% [markdown]
# **What it means.** With the parameter count held equal the GRU is wider (three gate blocks
# instead of four) and a step of it costs about the same. Whether a gap is "about the same"
# depends on the yardstick; here it is how much the result moves when only the seed changes —
# strict, since seeds move these results little — and the verdict line also gives each gap as
# a share of the GRU's result. At a fixed budget, speed of learning decides much: the GRU's
# update gate starts half open, so it can carry a value across the sequence from the first
# steps; PyTorch's default LSTM starts with its forget gate half closed (σ(0) = 0.5 halves the
# cell state at every step) and sits on the adding problem's plateau (MSE 1/6) for hundreds of
# steps before it finds the two marked numbers. The usual cure, a forget-gate bias of 1 (C26;
# Jozefowicz et al. 2015 found that with it the LSTM matches the GRU on most of their tasks), is
# the third contender; the figure and the verdict line say whether it closes the gap here.
#
# In the full-size run (the report's numbers) the GRU came out ahead on both tasks by far more
# than the seed noise, and the forget bias did not close the gap: NOT REPRODUCED by the rule.
# By a practical yardstick the gaps are small, though: all three models solve the adding
# problem (final MSE a few 10⁻⁴, under 0.5 % of the 1/6 baseline; the LSTMs just leave the
# plateau later), and the LSTM's perplexity is about 5 % above the GRU's while still falling
# slowly at the end of the budget, when the GRU's has already turned up (it over-fits sooner).
# Two tasks are not "most tasks", and a larger budget or a tuned learning rate per cell could
# move the gaps: the claim is a rule of thumb for choosing a cell, and what this lesson can
# say is how close "about the same" is on these two tasks at this budget.
