"""The cell update equations as LaTeX, with the actual numbers of one step filled in."""
from __future__ import annotations

import numpy as np

MAX_UNITS = 6  # vectors longer than this are cut (and say so): equations must stay readable
MAX_MATRIX = (5, 4)  # SimpleRNN shows full weight matrices up to input_dim 5 × units 4


def vec(v: np.ndarray, digits: int = 2) -> str:
    """A row vector as a LaTeX bmatrix, cut to MAX_UNITS entries."""
    v = np.asarray(v).ravel()
    cells = [f"{x:.{digits}f}" for x in v[:MAX_UNITS]]
    if v.size > MAX_UNITS:
        cells.append(r"\cdots")
    return r"\begin{bmatrix}" + " & ".join(cells) + r"\end{bmatrix}"


def mat(m: np.ndarray, digits: int = 2) -> str:
    rows = [" & ".join(f"{x:.{digits}f}" for x in row) for row in np.asarray(m)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _previous(trace, sample: int, k: int):
    """(h_{t-1}, c_{t-1} or None) before step k: the initial state at k = 0."""
    if k == 0:
        h_prev = trace.initial_states[0][sample]
        c_prev = trace.initial_states[1][sample] if trace.c is not None else None
    else:
        h_prev = trace.h[sample, k - 1]
        c_prev = trace.c[sample, k - 1] if trace.c is not None else None
    return h_prev, c_prev


def _aligned(lhs: str, *rhs: str) -> str:
    """lhs = rhs[0] = rhs[1] ..., one '=' per line so long vectors fit the page."""
    return (r"\begin{aligned}" + lhs + " &= " + r" \\ &= ".join(rhs) + r"\end{aligned}")


# Keras activation names as LaTeX (the layer's activation / recurrent_activation settings).
LATEX_ACTIVATIONS = {"tanh": r"\tanh", "sigmoid": r"\sigma", "hard_sigmoid": r"\mathrm{hard\_sigmoid}",
                     "relu": r"\mathrm{relu}", "linear": r"\mathrm{linear}"}


def step_equations(trace, weights: list[np.ndarray], sample: int, k: int,
                   reset_after: bool = True, activation: str = "tanh",
                   recurrent_activation: str = "sigmoid") -> list[str]:
    """LaTeX blocks for step k of sample ``sample`` (weights in Keras order: kernel, rk, bias)."""
    act_fn, gate_fn = LATEX_ACTIVATIONS[activation], LATEX_ACTIVATIONS[recurrent_activation]
    kernel, recurrent_kernel = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    units = trace.units
    t = int(trace.timestep[k])
    x_t = trace.x[sample, t]                      # (features,)
    h_prev, c_prev = _previous(trace, sample, k)  # (units,)
    h_t = trace.h[sample, k]                      # (units,)
    given = [rf"x_t = x_{{{t}}} &= {vec(x_t)}", rf"h_{{t-1}} &= {vec(h_prev)}"]
    if c_prev is not None:
        given.append(rf"c_{{t-1}} &= {vec(c_prev)}")
    lines = [rf"\text{{step }} k={k}:\quad \begin{{aligned}}" + r" \\ ".join(given)
             + r"\end{aligned}"]
    if trace.cell_name == "SimpleRNN":
        xk = x_t @ kernel                          # (units,)
        hr = h_prev @ recurrent_kernel             # (units,)
        b = bias if bias is not None else np.zeros(units)
        rhs = [rf"{act_fn}(x_t \cdot W_x + h_{{t-1}} \cdot W_h + b)"]
        if kernel.shape[0] <= MAX_MATRIX[0] and units <= MAX_MATRIX[1]:
            rhs.append(rf"{act_fn}\left({vec(x_t)} {mat(kernel)} + {vec(h_prev)} "
                       rf"{mat(recurrent_kernel)} + {vec(b)}\right)")
        rhs.append(rf"{act_fn}\left({vec(xk)} + {vec(hr)} + {vec(b)}\right)")
        rhs.append(rf"{act_fn}\left({vec(trace.pre_activations['h'][sample, k])}\right)")
        rhs.append(vec(h_t))
        lines.append(_aligned("h_t", *rhs))
        return lines
    pre, act = trace.pre_activations, trace.gates
    if trace.cell_name == "LSTM":
        for name, sym, weight, fn in (("input", "i_t", "i", gate_fn), ("forget", "f_t", "f", gate_fn),
                                      ("candidate", r"\tilde c_t", "c", act_fn),
                                      ("output", "o_t", "o", gate_fn)):
            lines.append(_aligned(sym, rf"{fn}(x_t W_{weight} + h_{{t-1}} U_{weight} + b_{weight})",
                                  rf"{fn}\left({vec(pre[name][sample, k])}\right)",
                                  vec(act[name][sample, k])))
        c_t = trace.c[sample, k]
        lines.append(_aligned(
            "c_t", r"f_t \odot c_{t-1} + i_t \odot \tilde c_t",
            rf"{vec(act['forget'][sample, k])} \odot {vec(c_prev)} \\ &\quad + "
            rf"{vec(act['input'][sample, k])} \odot {vec(act['candidate'][sample, k])}",
            vec(c_t)))
        lines.append(_aligned("h_t", rf"o_t \odot {act_fn}(c_t)",
                              rf"{vec(act['output'][sample, k])} \odot {act_fn}\left({vec(c_t)}\right)",
                              vec(h_t)))
        return lines
    # GRU
    for name, sym, g in (("update", "z_t", "z"), ("reset", "r_t", "r")):
        lines.append(_aligned(sym, rf"{gate_fn}(x_t W_{g} + h_{{t-1}} U_{g} + b_{g})",
                              rf"{gate_fn}\left({vec(pre[name][sample, k])}\right)",
                              vec(act[name][sample, k])))
    inner = (r"x_t W_h + b_h + r_t \odot (h_{t-1} U_h + b'_h)" if reset_after
             else r"x_t W_h + (r_t \odot h_{t-1}) U_h + b_h")
    lines.append(_aligned(r"\tilde h_t", rf"{act_fn}({inner})",
                          rf"{act_fn}\left({vec(pre['candidate'][sample, k])}\right)",
                          vec(act['candidate'][sample, k])))
    z = vec(act['update'][sample, k])
    lines.append(_aligned("h_t", r"z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t",
                          rf"{z} \odot {vec(h_prev)} \\ &\quad + (1 - {z}) \odot "
                          rf"{vec(act['candidate'][sample, k])}", vec(h_t)))
    return lines
