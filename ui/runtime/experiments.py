"""The experiments pages show, computed here so the pages only draw.

Each result depends only on its arguments (a config, an input digest, a few flags), so it is
cached and shared by every session: ``st.cache_data`` hands each session its own copy, so no
session can change what another one sees. ``max_entries`` bounds the memory a class can fill.

- ``stateful_vs_reset``: a stateful layer over 3 consecutive batches against one reset each time
  (/hidden_states);
- ``flag_effect``: LSTM's ``unit_forget_bias`` or GRU's ``reset_after`` on and off (/gates);
- ``handover`` and ``stateful_pieces``: the encoder -> decoder pair, and one stateful layer fed
  consecutive pieces of a long sequence (/encoder_decoder);
- ``counts_vs_units``: each cell's parameter count over a grid of units (/parameters);
- ``data_flow``: the nodes and edges of the data-flow diagram (/shapes; shape arithmetic only);
- ``training_key``: what a trained model depends on, so /training knows when it is stale;
- ``gradient_flows``, ``scale_sweep``, ``gradient_step_through``: the gradient-flow lab
  (/training), untrained networks, a pure function of its settings.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnn_core import layers, training
from ui.controls import inputs
from ui.controls.settings import Config, TrainingSettings
from ui.drawing import colors, figures
from ui.drawing import training_figures as tf_figs
from ui.drawing.diagrams import shape_text
from ui.runtime import lab

CONSECUTIVE_BATCHES = 3  # /hidden_states: batches a stateful layer carries its state across


def digest(x: np.ndarray) -> str:
    """A cache key for an input array (hashing the bytes once beats pickling them per call)."""
    return hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest()


# --- /hidden_states ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StatefulVsReset:
    carried: np.ndarray   # (3·timesteps, units) h of one sample, stateful=True across the batches
    reset: np.ndarray     # (3·timesteps, units) h of that sample from zeros in every batch
    chunks: str           # how the batches were made, for the chart title


def stateful_vs_reset(cfg: Config, x: np.ndarray, fresh_input: bool, sample: int) -> StatefulVsReset:
    """The bottom layer (forward only) run on 3 consecutive batches, once stateful and once
    reset per batch, same weights; h of ``sample`` (only it is kept: a class's cache stays
    small). ``fresh_input``: the preset can make a 3× longer sequence to cut into batches; else
    x itself is fed 3 times."""
    return _stateful_vs_reset(cfg, digest(x), x, fresh_input, sample)


@st.cache_data(max_entries=32, show_spinner=False)
def _stateful_vs_reset(cfg: Config, x_digest: str, _x: np.ndarray, fresh_input: bool, sample: int):
    n, timesteps = CONSECUTIVE_BATCHES, _x.shape[1]
    if fresh_input:
        long_x = inputs.make_input(dataclasses.replace(cfg, timesteps=n * timesteps))  # (batch, 3·T, features)
        batches = np.split(long_x, n, axis=1)                   # 3 × (batch, timesteps, features)
        chunks = f"one {n * timesteps}-step sequence cut into {n} consecutive batches"
    else:
        batches, chunks = [_x] * n, f"the same input fed {n} times"
    stateful_layer = lab.build_layer(dataclasses.replace(cfg, bidirectional=False, stateful=True))
    carried = [stateful_layer.trace(b).h[sample] for b in batches]  # the state goes on to the next batch
    reset_layer = lab.build_layer(dataclasses.replace(cfg, bidirectional=False, stateful=False))
    reset_layer.set_weights(stateful_layer.get_weights())
    reset = [reset_layer.trace(b).h[sample] for b in batches]      # 3 × (timesteps, units)
    return StatefulVsReset(np.concatenate(carried), np.concatenate(reset), chunks)


# --- /gates -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FlagEffect:
    flag: str             # the Keras argument toggled: "unit_forget_bias" or "reset_after"
    title: str            # what the curves average over
    curves: dict          # (label, quantity) -> (with flag=True, with flag=False), (timesteps,) each
    numbers: dict         # what the page prints as metrics, by name


def flag_effect(cfg: Config, x: np.ndarray, sample: int) -> FlagEffect:
    """LSTM: unit_forget_bias on and off; GRU: reset_after on and off. Same seed, same kernels,
    the forward layer only; curves of ``sample`` where they are not averaged over samples."""
    return _flag_effect(cfg, digest(x), x, sample)


@st.cache_data(max_entries=32, show_spinner=False)
def _flag_effect(cfg: Config, x_digest: str, _x: np.ndarray, sample: int) -> FlagEffect:
    flag = "unit_forget_bias" if cfg.cell == "LSTM" else "reset_after"
    on, off = (lab.build_layer(dataclasses.replace(cfg, bidirectional=False, **{flag: value}))
               for value in (True, False))
    t_on, t_off = on.trace(_x), off.trace(_x)
    if cfg.cell == "LSTM":
        forget_on = t_on.gates["forget"].mean(axis=(0, 2))     # (timesteps,)
        forget_off = t_off.gates["forget"].mean(axis=(0, 2))
        curves = {("forget gate", "forget"): (forget_on, forget_off),
                  ("|c_t|", "c"): (np.abs(t_on.c).mean(axis=(0, 2)), np.abs(t_off.c).mean(axis=(0, 2)))}
        numbers = {"forget_on": float(forget_on.mean()), "forget_off": float(forget_off.mean())}
        return FlagEffect(flag, "Mean over units and samples", curves, numbers)
    curves = {("h unit 0", "h"): (t_on.h[sample, :, 0], t_off.h[sample, :, 0]),
              ("candidate unit 0", "candidate"): (t_on.gates["candidate"][sample, :, 0],
                                                  t_off.gates["candidate"][sample, :, 0])}
    numbers = {"params_on": on.count_params(), "params_off": off.count_params(),
               "max_dh": float(np.abs(t_on.h - t_off.h).max())}
    return FlagEffect(flag, f"Sample {sample}, unit 0", curves, numbers)


# --- /encoder_decoder ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Handover:
    y: np.ndarray          # (batch, T_dec, input_dim) the decoder's input
    state_names: tuple     # "state_h" (and "state_c"): what the encoder returns after its output
    encoder: object        # the encoder's Trace over x (return_state=True)
    decoder: object        # the decoder's Trace over y, from the encoder's final states


def handover(cfg: Config, x: np.ndarray, mask: np.ndarray | None, decoder_timesteps: int) -> Handover:
    """Seed 000's encoder over x, its final states as the decoder's initial_state."""
    return _handover(cfg, digest(x), x, mask, decoder_timesteps)


@st.cache_data(max_entries=32, show_spinner=False)
def _handover(cfg: Config, x_digest: str, _x: np.ndarray, _mask, decoder_timesteps: int) -> Handover:
    y = inputs.decoder_input(cfg, decoder_timesteps)   # (batch, T_dec, input_dim)
    encoder, decoder = lab.encoder_decoder(cfg)
    enc = encoder.trace(_x, mask=_mask)
    _, *states = enc.outputs                           # h (and c): (batch, units) each
    dec = decoder.trace(y, initial_state=states)
    return Handover(y, tuple(f"state_{s}" for s in encoder.state_names), enc, dec)


@dataclass(frozen=True)
class StatefulPieces:
    pieces: int           # consecutive pieces of the long sequence, one call each
    gap: float            # max |Δ| between the last stateful call and one call over the whole
    after_reset: float    # max |Δ| between the first call after reset_state() and a fresh layer


@st.cache_data(max_entries=32, show_spinner=False)
def stateful_pieces(cfg: Config, x_shape: tuple, pieces: int = 3) -> StatefulPieces:
    """One plain stateful layer fed ``pieces`` consecutive pieces shaped like x, (batch,
    timesteps, features), against one stateless layer (same weights) over the whole sequence."""
    batch, timesteps, features = x_shape
    long_x = inputs.seeded_random(batch, pieces * timesteps, features, cfg.seed)  # (batch, pieces·T, features)
    plain = dataclasses.replace(cfg, layers=1, lengths="", bidirectional=False, stateful=False,
                                return_sequences=False, return_state=False)
    stateful = lab.build_layer(dataclasses.replace(plain, stateful=True, batch_size=batch))
    whole = lab.build_layer(plain)
    whole.set_weights(stateful.get_weights())
    for piece in np.split(long_x, pieces, axis=1):
        last = stateful(piece)                                  # (batch, units)
    gap = float(np.abs(last - whole(long_x)).max())
    stateful.reset_state()
    first = long_x[:, :timesteps]                               # (batch, T, input_dim)
    after_reset = float(np.abs(stateful(first) - whole(first)).max())
    return StatefulPieces(pieces, gap, after_reset)


# --- /parameters --------------------------------------------------------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def counts_vs_units(input_dim: int, bidirectional: bool, reset_after: bool, unit_forget_bias: bool,
                    units_grid: tuple) -> dict:
    """Parameter counts from the built layers (cheap zeros initializers), per cell and units."""
    out = {}
    for cell in layers.CELLS:
        spec = Config(cell=cell, input_dim=input_dim, bidirectional=bidirectional,
                      reset_after=reset_after, unit_forget_bias=unit_forget_bias)
        out[cell] = [lab.build_layer(dataclasses.replace(spec, units=u),
                                     kernel_initializer="zeros",
                                     recurrent_initializer="zeros").count_params()
                     for u in units_grid]
    return out


# --- /shapes ------------------------------------------------------------------------------------
def data_flow(cfg: Config, layer, input_shape: tuple, output_shapes) -> tuple[dict, list]:
    """The data-flow diagram of the bottom layer ``layer``: (nodes, edges) for
    ``diagrams.flow``; nodes id -> (label, x, y, colour), edges (src, dst, shape label).
    Arithmetic on shapes only, so not cached."""
    names = layer.output_names()
    shapes = output_shapes if isinstance(output_shapes, list) else [output_shapes]
    cell = layer.directions[0].cell  # one direction's cell: its facts size the weights
    batch, timesteps, features = input_shape
    units = cfg.units
    g_units = cell.n_gates * units
    step_name = cell.step_function.__name__
    x_label = shape_text(input_shape)
    out_x = 6.0
    if not cfg.bidirectional:
        spread = [1.6 * ((len(names) - 1) / 2 - i) for i in range(len(names))]  # first output on top
        initial = ", ".join(f"{s}₀" for s in cell.state_names)
        nodes = {
            "x": ("<b>x</b>", 0, 0, colors.X),
            "kernel": ("kernel", 2, 1.4, colors.KERNEL),
            "bias": ("bias", 2, -1.4, colors.BIAS),
            "proj": ("x·kernel + bias<br>(one matmul)", 2, 0, colors.KERNEL),
            "rk": ("recurrent_kernel", 4, 1.4, colors.RECURRENT),
            "h0": (f"initial state<br>{initial} = 0", 4, -1.4, colors.H),
            "loop": (f"{step_name}<br>× {timesteps} steps", 4, 0, colors.H),
        }
        edges = [("x", "proj", x_label), ("kernel", "proj", shape_text((features, g_units))),
                 ("bias", "proj", shape_text(cell.bias_shape)),
                 ("proj", "loop", shape_text((batch, timesteps, g_units))),
                 ("rk", "loop", shape_text((units, g_units))),
                 ("h0", "loop", shape_text((batch, units)))]
        for name, shape, y in zip(names, shapes, spread):
            nodes[name] = (name, out_x, y, colors.C if name.endswith("carry_state") else colors.H)
            edges.append(("loop", name, shape_text(shape)))
        return nodes, edges
    fw_shape = (batch, timesteps, units) if layer.return_sequences else (batch, units)
    nodes = {
        "x": ("<b>x</b>", 0, 0, colors.X),
        "fw": (f"forward {cfg.cell}<br>{step_name}", 2.2, 1.3, colors.FORWARD),
        "bw": (f"backward {cfg.cell}<br>go_backwards=True", 2.2, -1.3, colors.BACKWARD),
    }
    edges = [("x", "fw", x_label), ("x", "bw", x_label)]
    if cfg.merge is not None:
        nodes["merge"] = (f"merge<br>{cfg.merge}", 4.1, 0, colors.MERGED)
        edges += [("fw", "merge", shape_text(fw_shape)), ("bw", "merge", shape_text(fw_shape))]
    # merged output level with the merge node; each direction's own outputs on its side
    side = {"forward": 0, "backward": 0}
    base = 1.0 if "output" in names else 0.5
    for name, shape in zip(names, shapes):
        direction = name.split("_")[0] if name != "output" else None
        if direction is None:
            colour, y, src = colors.MERGED, 0.0, "merge"
        else:
            sign = 1 if direction == "forward" else -1
            colour = colors.FORWARD if sign > 0 else colors.BACKWARD
            y, src = sign * (base + side[direction]), "fw" if sign > 0 else "bw"
            side[direction] += 1
        nodes[name] = (name, out_x, y, colour)
        edges.append((src, name, shape_text(shape)))
    return nodes, edges


def training_key(cfg: Config, run: TrainingSettings) -> tuple:
    """What a trained model depends on: the sidebar's cell, units and seed, and every
    TrainingSettings field marked ``run`` (the view's fields, e.g. the window, are not)."""
    return (cfg.cell, cfg.units, cfg.seed) + tuple(
        getattr(run, f.name) for f in dataclasses.fields(run) if f.metadata.get("run"))


@st.cache_data(max_entries=64, show_spinner=False)
def gradient_flows(timesteps, units, scale, clipnorm, seed, gate_bias) -> dict:
    """cell -> ``training.gradient_flow`` on the recall task, for every cell."""
    return {cell: training.gradient_flow(cell, timesteps=timesteps, units=units,
                                         recurrent_scale=scale, clipnorm=clipnorm, seed=seed,
                                         gate_bias=gate_bias)
            for cell in layers.CELLS}


@st.cache_data(max_entries=64, show_spinner=False)
def scale_sweep(scales, timesteps, units, seed, gate_bias) -> dict:
    """Global gradient norm per cell at each recurrent scale."""
    return {cell: [training.gradient_flow(cell, timesteps=timesteps, units=units,
                                          recurrent_scale=float(s), seed=seed, jacobian=False,
                                          gate_bias=gate_bias).grad_norm
                   for s in scales]
            for cell in layers.CELLS}


@st.cache_data(max_entries=64, show_spinner=False)
def gradient_step_through(d_h, cell) -> dict:
    """The figure of ∂L/∂h_t travelling back in time, one frame per BPTT step."""
    series, labels = tf_figs.gradient_step_through(d_h, cell)
    return figures.step_through(series, start=0, step_labels=labels)
