"""Budgets: every computation the app can be asked for is sized BEFORE any work starts.

Pure (no Streamlit): estimates from shapes and counts only, nothing is allocated to measure. A
check raises ``BudgetError`` (a ``ValueError``, so pages that already show ``ValueError`` as
``st.error`` show these too) whose message states the limit and the size asked for.

Per session: Streamlit runs at most one script run per session at a time (a new rerun stops the
old one), and every run checks its work here first. So one session holds at most one request's
memory (``MEMORY_PER_REQUEST`` for weights and one trace; a page's comparison view may hold two
or three such traces) and at most ``SECONDS_PER_REQUEST`` of estimated compute per training run
or gradient-flow sweep; a training run is also stopped for real at ``HARD_STOP_FACTOR`` times
that, in case the estimate is off (``training.train(max_seconds=...)``).
"""
from __future__ import annotations

from rnn_core import layers

MB = 2**20
GB = 2**30
FLOAT_BYTES = 4  # float32 everywhere the app computes for the page

# One request's weights and trace. 40 students × 64 MB stays within the 2 GB the server may use
# beside the ~1 GB TensorFlow worker even if a quarter of them compute at the same moment.
MEMORY_PER_REQUEST = 64 * MB
# Estimated CPU seconds of one training run or one gradient-flow view. A class shares 2 cores:
# 10 s is one student's patience for a deliberate "Train", and long enough for every seed model.
SECONDS_PER_REQUEST = 10.0
HARD_STOP_FACTOR = 2.0
# Must equal server.maxUploadSize in .streamlit/config.toml (1 MB); checked again in parse_csv,
# since AppTest and other clients do not go through the server's limit.
UPLOAD_BYTES = 1 * MB
MAX_ABS_INPUT = 1e4      # CSV values: the magnitude the numerics are tested for
MAX_MODEL_CHARS = 2000   # model builder text: 20-odd layer lines is plenty for a lesson
MAX_MODEL_LINES = 30
MAX_SHAPE_CHARS = 100

# Calibration (bench on this 2-core machine, 2026-11, rnn_core.training.train with Adam): a
# char model costs ~0.06 ms of Python per timestep and layer, and its matmuls (forward + BPTT
# ≈ 6 flops per multiply-add of the forward pass) ran at 6–8 GFLOP/s for units 128–256
# (float32); gradient_flow (float64, Jacobian batch·units rows) at ~1.2 GFLOP/s plus ~0.5 ms per
# step of its 36-run sweep. The constants below take about half those speeds, because the
# cores are shared with the rest of the class. Re-measure with bench/calibrate_budget.py.
TRAIN_STEP_SECONDS = 1e-4
TRAIN_FLOPS_PER_SECOND = 4e9
FLOW_STEP_SECONDS = 5e-4
FLOW_FLOPS_PER_SECOND = 1e9



class BudgetError(ValueError):
    """A request over budget; the message names the limit and the size asked for."""


def size_text(n_bytes: float) -> str:
    """1536 -> '1.5 KB'; binary units like the OS shows."""
    for unit, size in (("GB", GB), ("MB", MB), ("KB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(n_bytes)} bytes"


def _over_memory(what: str, n_bytes: int, kind: str, advice: str) -> None:
    if n_bytes > MEMORY_PER_REQUEST:
        raise BudgetError(f"{what} needs {size_text(n_bytes)} for its {kind}; this server allows "
                          f"{size_text(MEMORY_PER_REQUEST)} per request: {advice}")


# --- the layer config (sidebar, URL, word box, CSV) ------------------------------------------
def recurrent_params(cell: str, units: int, features: int, use_bias: bool = True,
                     reset_after: bool = True) -> int:
    """Keras's count for one direction, from the weights the layer would create (none is)."""
    extra = {"reset_after": reset_after} if cell == "GRU" else {}  # only GRU takes the argument
    layer = getattr(layers, cell)(units, use_bias=use_bias, name=cell, **extra)
    return layer.planned_params((None, None, features))


def trace_bytes(cell: str, batch: int, timesteps: int, features: int, units: int,
                directions: int = 1) -> int:
    """A trace keeps every step's x, states and pre-activations, and each gate's activation
    (SimpleRNN has no gate: its activation is h_t, already counted as a state)."""
    cell_class = layers.CELL_CLASS[cell]
    gates = cell_class.n_gates
    activations = gates if gates > 1 else 0
    per_step = units * (gates + activations + len(cell_class.state_names)) + features
    return directions * batch * timesteps * per_step * FLOAT_BYTES


def check_config(cfg) -> None:
    """The sidebar/URL config: each value is within LIMITS, but not every combination fits.
    A stack's upper layers read the layer below's h_t (both directions when concatenated)."""
    directions = 2 if cfg.bidirectional else 1
    upper_dim = cfg.units * (2 if cfg.bidirectional and cfg.merge_mode == "concat" else 1)
    dims = [cfg.input_dim] + [upper_dim] * (cfg.layers - 1)      # features each layer reads
    what = (f"{cfg.layers} × " if cfg.layers > 1 else "") + (
        f"{'Bidirectional ' if cfg.bidirectional else ''}{cfg.cell}({cfg.units}) on "
        f"{cfg.input_dim} features")
    weights = sum(directions * recurrent_params(cfg.cell, cfg.units, d, reset_after=cfg.reset_after)
                  for d in dims) * FLOAT_BYTES
    _over_memory(what, weights, "weights", "lower units or input_dim")
    trace = sum(trace_bytes(cfg.cell, cfg.batch_size, cfg.timesteps, d, cfg.units, directions)
                for d in dims)
    _over_memory(f"{what}, batch_size {cfg.batch_size} × timesteps {cfg.timesteps},",
                 weights + trace, "weights and trace", "lower batch_size, timesteps, units or layers")


# --- the model builder ------------------------------------------------------------------------
def check_model_text(spec: str, input_shape: str) -> None:
    """The builder's text is parsed, never evaluated; bounded so parsing stays cheap."""
    if len(spec) > MAX_MODEL_CHARS:
        raise BudgetError(f"layers: got {len(spec):,} characters, expected at most "
                          f"{MAX_MODEL_CHARS:,}")
    lines = len(spec.splitlines())
    if lines > MAX_MODEL_LINES:
        raise BudgetError(f"layers: got {lines} lines, expected at most {MAX_MODEL_LINES}")
    if len(input_shape) > MAX_SHAPE_CHARS:
        raise BudgetError(f"input_shape: got {len(input_shape):,} characters, expected at most "
                          f"{MAX_SHAPE_CHARS}")


def describe(layer) -> str:
    """'LSTM(100000)', 'Bidirectional(GRU(8))', 'Embedding(1000, 64)' for messages."""
    name = type(layer).__name__
    if isinstance(layer, layers.Bidirectional):
        return f"{name}({describe(layer.forward_layer)})"
    if isinstance(layer, layers.TimeDistributed):
        return f"{name}({describe(layer.layer)})"
    if isinstance(layer, layers.Embedding):
        return f"{name}({layer.input_dim}, {layer.output_dim})"
    return f"{name}({layer.units})"


def planned_params(layer, input_shape: tuple) -> int:
    """The parameter count ``layer.build(input_shape)`` would allocate; nothing is allocated."""
    try:
        return layer.planned_params(tuple(input_shape))
    except ValueError as err:  # the layer's own message, naming the layer it is about
        raise ValueError(f"{err} for {describe(layer)}") from None


def check_model(model_layers, input_shape: tuple) -> int:
    """Every layer's weights for ``input_shape``, before any is built; returns the total count."""
    total, shape = 0, tuple(input_shape)
    for layer in model_layers:
        params = planned_params(layer, shape)
        on = "" if isinstance(layer, layers.Embedding) else f" on {shape[-1]} features"
        _over_memory(f"{describe(layer)}{on}", params * FLOAT_BYTES,
                     "weights", "use fewer units")
        total += params
        out = layer.compute_output_shape(shape)
        shape = tuple(out[0] if isinstance(out, list) else out)
    _over_memory(f"This model ({total:,} parameters)", total * FLOAT_BYTES, "weights",
                 "use fewer or smaller layers")
    return total


# --- uploads ----------------------------------------------------------------------------------
def check_upload(n_bytes: int) -> None:
    if n_bytes > UPLOAD_BYTES:
        raise BudgetError(f"csv: the file has {size_text(n_bytes)}; this server accepts at most "
                          f"{size_text(UPLOAD_BYTES)} per upload")


# --- time: training and the gradient-flow sweep -----------------------------------------------
def training_seconds(cell: str, units: int, depth: int, vocab: int, batch: int, timesteps: int,
                     epochs: int) -> float:
    """Estimated CPU seconds of ``training.train`` (full batch, one step per epoch)."""
    g = layers.CELL_CLASS[cell].n_gates
    seconds = 0.0
    features = vocab
    for _ in range(depth):
        flops = 6 * batch * g * units * (features + units)  # forward + BPTT, one timestep
        seconds += timesteps * (TRAIN_STEP_SECONDS + flops / TRAIN_FLOPS_PER_SECOND)
        features = units
    return epochs * seconds


def check_training(cell: str, units: int, depth: int, vocab: int, batch: int, timesteps: int,
                   epochs: int) -> None:
    seconds = training_seconds(cell, units, depth, vocab, batch, timesteps, epochs)
    if seconds > SECONDS_PER_REQUEST:
        per_epoch = seconds / epochs
        fits = int(SECONDS_PER_REQUEST // per_epoch)
        advice = (f"at most {fits:,} epochs with these settings, or fewer units, layers or "
                  "characters" if fits >= 1 else "fewer units, layers or characters")
        raise BudgetError(
            f"Training {cell}({units}) × {depth} layer{'s' * (depth > 1)} on {batch} × {timesteps} "
            f"characters for {epochs:,} epochs needs about {seconds:,.0f} s of compute; this "
            f"server allows {SECONDS_PER_REQUEST:.0f} s per training run: use {advice}")


def gradient_flow_seconds(timesteps: int, units: int, batch: int = 16, symbols: int = 4,
                          sweep: int = 12) -> float:
    """The gradient-flow view: 3 cells with the Jacobian (batch·units rows) + a 12-scale sweep."""
    features = symbols + 1
    flops = sum(6 * c.n_gates * units * (features + units) * timesteps for c in layers.CELL_CLASSES)
    jacobian = flops * batch * (units + 1)          # the batch, then batch·units rows
    swept = flops * batch * sweep
    steps = len(layers.CELL_CLASSES) * timesteps * 2 * (sweep + 2)  # forward and backward passes
    return (jacobian + swept) / FLOW_FLOPS_PER_SECOND + steps * FLOW_STEP_SECONDS


def check_gradient_flow(timesteps: int, units: int) -> None:
    seconds = gradient_flow_seconds(timesteps, units)
    if seconds > SECONDS_PER_REQUEST:
        raise BudgetError(
            f"The gradient-flow view with timesteps T = {timesteps} and units = {units} needs "
            f"about {seconds:,.0f} s of compute; this server allows {SECONDS_PER_REQUEST:.0f} s "
            "per view: lower timesteps or units")
