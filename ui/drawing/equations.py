"""The cell's update equations with every step's numbers, as MathML for the step-through player.

The equations have the same structure at every step; only the numbers change. So they are built
once as a MathML *template* with numbered slots (``{0}``, ``{1}``, ...) plus one row of slot values
per step; the chart component fills the template in for the frame on screen (during ▶ Play too),
with no server round trip. Chromium renders MathML natively.

Every vector is a ``<mrow data-q="NAME">`` so a test can read the numbers back by name.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_UNITS = 6  # vectors longer than this are cut (and the panel says so)
# Presenter view (a projector, large type) shows fewer: the entries past this one, and every
# equation's working rows between its formula and its value, carry classes the presenter CSS
# (ui/js/presenter.css) hides; the panel's head says what is shown.
PRESENTER_UNITS = 4
DIGITS = 2


@dataclass
class StepPanel:
    """A MathML template and, per step, the strings for its slots."""
    template: str
    values: list[list[str]]   # (timesteps, slots)

    def render(self, k: int) -> str:
        """The panel's HTML at step k (what the browser shows; used by tests and exports)."""
        import re
        return re.sub(r"\{(\d+)\}", lambda m: self.values[k][int(m.group(1))], self.template)


class _Builder:
    """Collects per-step string columns and hands out their slot markers."""

    def __init__(self, timesteps: int):
        self.timesteps = timesteps
        self.columns: list[np.ndarray] = []   # each (timesteps,) of str

    def slot(self, column) -> str:
        self.columns.append(np.asarray(column, dtype=str))
        return "{" + str(len(self.columns) - 1) + "}"

    def vec(self, name: str, values: np.ndarray) -> str:
        """A row vector that changes per step; values (timesteps, n), cut to MAX_UNITS."""
        text = np.char.mod(f"%.{DIGITS}f", np.asarray(values, dtype=float)[:, :MAX_UNITS])
        text = np.char.replace(text, "-", "−")                  # (timesteps, shown)
        cells = [f"<mn>{self.slot(text[:, j])}</mn>" for j in range(text.shape[1])]
        return _bracket(name, cells, np.asarray(values).shape[1])

    def vec_text(self, name: str, values: np.ndarray) -> list[str]:
        """The same row vector as ``vec``, as one finished HTML string per step (for slots whose
        whole content changes from step to step, like a padded step's extra rows)."""
        v = np.asarray(values, dtype=float)                          # (timesteps, n)
        text = np.char.replace(np.char.mod(f"%.{DIGITS}f", v[:, :MAX_UNITS]), "-", "−")
        return [_bracket(name, [f"<mn>{x}</mn>" for x in row], v.shape[1])
                for row in text]

    def values(self) -> list[list[str]]:
        return np.stack(self.columns, axis=1).tolist() if self.columns else [[]] * self.timesteps


def const_vec(name: str, values: np.ndarray) -> str:
    """A row vector that is the same at every step (a bias)."""
    v = np.asarray(values, dtype=float).ravel()
    cells = [f"<mn>{x:.{DIGITS}f}</mn>".replace("-", "−") for x in v[:MAX_UNITS]]
    return _bracket(name, cells, v.size)


def _bracket(name: str, cells: list[str], total: int) -> str:
    """[cells ⋯] of a vector of ``total`` entries; entries past PRESENTER_UNITS are marked
    (class "beyond", with the space before them) and a presenter-only ⋯ stands for them."""
    parts = []
    for j, cell in enumerate(cells):
        beyond = j >= PRESENTER_UNITS
        if j:
            parts.append('<mspace class="beyond" width="0.4em"/>' if beyond else '<mspace width="0.4em"/>')
        parts.append(cell.replace("<mn>", '<mn class="beyond">', 1) if beyond else cell)
    if PRESENTER_UNITS < total <= MAX_UNITS:
        parts.append('<mspace class="only-presenter" width="0.4em"/><mo class="only-presenter">⋯</mo>')
    elif total > MAX_UNITS:
        parts.append('<mspace width="0.4em"/><mo>⋯</mo>')
    body = "".join(parts)
    return f'<mrow data-q="{name}"><mo>[</mo>{body}<mo>]</mo></mrow>'


def sym(base: str, sub: str = "t", tilde: bool = False) -> str:
    """A subscripted symbol: h_t, h_{t−1}, c̃_t, W_f."""
    b = f'<mover accent="true"><mi>{base}</mi><mo>~</mo></mover>' if tilde else f"<mi>{base}</mi>"
    s = ("<mrow><mi>t</mi><mo>−</mo><mn>1</mn></mrow>" if sub == "t-1" else f"<mi>{sub}</mi>")
    return f"<msub>{b}{s}</msub>"


def _op(text: str) -> str:
    return f"<mo>{text}</mo>"


ACTIVATION_NAMES = {"sigmoid": "σ", "tanh": "tanh", "hard_sigmoid": "hard_sigmoid", "relu": "relu",
                    "linear": "linear"}  # Keras activation -> its name in the equations


def _fn(name: str, inner: str) -> str:
    return f'<mi>{ACTIVATION_NAMES.get(name, name)}</mi><mo>(</mo>{inner}<mo>)</mo>'


def _equation(lhs: str, *rhs) -> str:
    """lhs = rhs[0] = rhs[1] ..., one '=' per row so long vectors fit the page; a ("+", term)
    item continues the row above on a row of its own."""
    def tr(i: int) -> str:   # the rows between the formula and the value are the working
        return '<mtr class="work">' if 0 < i < len(rhs) - 1 else "<mtr>"
    rows = "".join(
        f"{tr(i)}<mtd>{lhs if i == 0 else ''}</mtd><mtd><mspace width=\"1em\"/><mo>{r[0]}</mo>{r[1]}</mtd></mtr>"
        if isinstance(r, tuple) else
        f"{tr(i)}<mtd>{lhs if i == 0 else ''}</mtd><mtd><mo>=</mo>{r}</mtd></mtr>"
        for i, r in enumerate(rhs))
    return f'<div class="eq"><math displaystyle="true"><mtable>{rows}</mtable></math></div>'


def _previous(trace, sample: int):
    """(h_{t-1}, c_{t-1} or None) before every step: (timesteps, units) each."""
    h0 = trace.initial_states[0][sample][None]                        # (1, units)
    h_prev = np.concatenate([h0, trace.h[sample, :-1]])               # (timesteps, units)
    c_prev = None
    if trace.c is not None:
        c0 = trace.initial_states[1][sample][None]
        c_prev = np.concatenate([c0, trace.c[sample, :-1]])           # (timesteps, units)
    return h_prev, c_prev


GATES = {  # trace gate name -> (symbol, weight letter, activation)
    "LSTM": (("input", "i", "i", "sigmoid"), ("forget", "f", "f", "sigmoid"),
             ("candidate", "c", "c", "tanh"), ("output", "o", "o", "sigmoid")),
    "GRU": (("update", "z", "z", "sigmoid"), ("reset", "r", "r", "sigmoid")),
}


def step_panel(trace, weights: list[np.ndarray], sample: int, reset_after: bool = True,
               note: str = "", activation: str = "tanh",
               recurrent_activation: str = "sigmoid", where: str = "") -> StepPanel:
    """The panel for every step of ``sample``: the inputs, each equation, the new state.

    weights in Keras order (kernel, recurrent_kernel[, bias]); ``note`` is shown on top;
    ``activation``/``recurrent_activation`` are the layer's (Keras names); ``where`` names the
    layer and direction after the sample ("layer 2 of 3 · forward direction"), so every number
    on the panel says which sample, layer, direction and step it belongs to.
    """
    fns = {"tanh": activation, "sigmoid": recurrent_activation}  # the default names' roles
    kernel, recurrent_kernel = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    units, steps = trace.units, trace.h.shape[1]
    b = _Builder(steps)
    x_t = trace.x[sample, trace.timestep]                      # (timesteps, features), processing order
    h_prev, c_prev = _previous(trace, sample)                  # (timesteps, units)
    cut = units > MAX_UNITS or x_t.shape[1] > MAX_UNITS
    head = (f'<p class="step-head"><b>step k = {b.slot(np.arange(steps))}</b> reads '
            f'<i>x</i><sub>{b.slot(trace.timestep)}</sub> · sample {sample}'
            + (f" · {where}" if where else "")
            + (f'<span class="only-normal"> · vectors show their first {MAX_UNITS} entries (⋯ = cut)</span>'
               if cut else "")
            + _presenter_cut(units, x_t.shape[1])
            + (f" · {note}" if note else "") + "</p>")
    given = [_equation(sym("x"), b.vec("x_t", x_t)), _equation(sym("h", "t-1"), b.vec("h_prev", h_prev))]
    if c_prev is not None:
        given.append(_equation(sym("c", "t-1"), b.vec("c_prev", c_prev)))
    lines = []
    pre, act = trace.pre_activations, trace.gates
    padded = (~trace.mask[sample] if trace.mask is not None
              else np.zeros(steps, bool))                       # (timesteps,) processing order
    if trace.cell_name == "SimpleRNN":
        value, carried = _state_value(b, "h", trace.h[sample],
                                      _activation(activation)(pre["h"][sample]), padded)
        xk = x_t @ kernel                                       # (timesteps, units)
        hr = h_prev @ recurrent_kernel                          # (timesteps, units)
        bias_v = bias if bias is not None else np.zeros(units)
        lines.append(_equation(
            sym("h"),
            _fn(activation, f"{sym('x')}<mo>·</mo>{sym('W', 'x')}<mo>+</mo>{sym('h', 't-1')}"
                            f"<mo>·</mo>{sym('W', 'h')}<mo>+</mo><mi>b</mi>"),
            _fn(activation, f"{b.vec('xW', xk)}<mo>+</mo>{b.vec('hU', hr)}<mo>+</mo>"
                            f"{const_vec('b', bias_v)}"),
            _fn(activation, b.vec("pre_h", pre["h"][sample])),
            value) + carried)
    else:
        bias_rows = _gate_biases(trace.cell_name, bias, units)
        for name, letter, weight, role in GATES[trace.cell_name]:
            fn = fns[role]
            lhs = sym(letter, tilde=name == "candidate")
            formula = (f"{sym('x')}{sym('W', weight)}<mo>+</mo>{sym('h', 't-1')}{sym('U', weight)}"
                       f"<mo>+</mo>{sym('b', weight)}")
            rows = [_fn(fn, formula)]
            if bias_rows is not None:
                rows.append(_fn(fn, f"{sym('x')}{sym('W', weight)}<mo>+</mo>{sym('h', 't-1')}"
                                    f"{sym('U', weight)}<mo>+</mo>{const_vec('b_' + weight, bias_rows[name])}"))
            rows += [_fn(fn, b.vec("pre_" + name, pre[name][sample])), b.vec(name, act[name][sample])]
            lines.append(_equation(lhs, *rows))
        if trace.cell_name == "LSTM":
            lines += _lstm_state(b, trace, sample, h_prev, c_prev, activation, padded)
        else:
            lines += _gru_state(b, trace, sample, h_prev, reset_after, activation, padded)
    html = head + '<div class="eq-given">' + "".join(given) + "</div>" + "".join(lines)
    return StepPanel(html, b.values())


def _presenter_cut(units: int, features: int) -> str:
    """What presenter view's panel leaves out, said in its head ('' when nothing)."""
    said = [f"{what} 0–{PRESENTER_UNITS - 1} of {n} shown" for what, n in
            (("units", units), ("x_t features", features)) if n > PRESENTER_UNITS]
    shown = " · ".join(said + ["only formula and result of each equation"])
    return f'<span class="only-presenter"> · {shown}</span>'


def _gate_biases(cell: str, bias, units: int) -> dict | None:
    """Each gate's bias vector (Keras column blocks), or None without a bias."""
    if bias is None:
        return None
    names = [g[0] for g in GATES[cell]]
    row = bias.sum(axis=0) if bias.ndim == 2 else bias        # GRU reset_after: both rows add up
    return {name: row[i * units:(i + 1) * units] for i, name in enumerate(names)}


DISCARDED = ("<mtext> ← computed, then discarded: a padded step keeps the previous state"
             "</mtext>")


def _activation(name: str):
    from rnn_core import activations
    return activations.ACTIVATIONS[name]


def _state_value(b: _Builder, letter: str, state: np.ndarray, computed: np.ndarray,
                 padded: np.ndarray) -> tuple[str, str]:
    """The last row of the equation of state ``letter`` (h or c) and what follows the equation.

    At a real step the row is the new state. At a padded step the equation's arithmetic is the
    cell's update, which the mask throws away: the row shows that computed value, says so, and a
    row of its own follows: "padded step: h_t = h_{t−1} = [...] (carried)". state and computed:
    (timesteps, units); padded: (timesteps,) bool."""
    if not padded.any():
        return b.vec(f"{letter}_t", state), ""
    shown = np.where(padded[:, None], computed, state)        # (timesteps, units)
    value = b.vec(f"{letter}_t", shown) + b.slot([DISCARDED if p else "" for p in padded])
    carried = b.vec_text(f"{letter}_t_carried", state)
    after = [_equation(f"<mtext>padded step: </mtext>{sym(letter)}", sym(letter, "t-1"),
                       carried[k] + "<mtext> (carried)</mtext>") if p else ""
             for k, p in enumerate(padded)]
    return value, b.slot(after)


def _lstm_state(b: _Builder, trace, sample: int, h_prev, c_prev, activation: str,
                padded) -> list[str]:
    act = trace.gates
    f, i, c_tilde, o = (b.vec(n, act[n][sample]) for n in ("forget", "input", "candidate", "output"))
    g = {n: act[n][sample] for n in ("forget", "input", "candidate", "output")}  # (timesteps, units)
    c_computed = g["forget"] * c_prev + g["input"] * g["candidate"]  # the update a mask discards
    h_computed = g["output"] * _activation(activation)(c_computed)
    c_value, c_carried = _state_value(b, "c", trace.c[sample], c_computed, padded)
    h_value, h_carried = _state_value(b, "h", trace.h[sample], h_computed, padded)
    # h_t's arithmetic reads the c_t computed above: at a padded step, the discarded one
    c_used = np.where(padded[:, None], c_computed, trace.c[sample])   # (timesteps, units)
    return [
        _equation(sym("c"), f"{sym('f')}<mo>⊙</mo>{sym('c', 't-1')}<mo>+</mo>{sym('i')}<mo>⊙</mo>{sym('c', tilde=True)}",
                  f"{f}<mo>⊙</mo>{b.vec('c_prev', c_prev)}", ("+", f"{i}<mo>⊙</mo>{c_tilde}"),
                  c_value) + c_carried,
        _equation(sym("h"), f"{sym('o')}<mo>⊙</mo>{_fn(activation, sym('c'))}",
                  f"{o}<mo>⊙</mo>{_fn(activation, b.vec('c_t', c_used))}", h_value) + h_carried,
    ]


def _gru_state(b: _Builder, trace, sample: int, h_prev, reset_after: bool,
               activation: str, padded) -> list[str]:
    act, pre = trace.gates, trace.pre_activations
    r_h = (f"{sym('r')}<mo>⊙</mo><mo>(</mo>{sym('h', 't-1')}{sym('U', 'h')}<mo>+</mo>"
           f"<msubsup><mi>b</mi><mi>h</mi><mo>′</mo></msubsup><mo>)</mo>" if reset_after
           else f"<mo>(</mo>{sym('r')}<mo>⊙</mo>{sym('h', 't-1')}<mo>)</mo>{sym('U', 'h')}")
    inner = (f"{sym('x')}{sym('W', 'h')}<mo>+</mo>{sym('b', 'h')}<mo>+</mo>{r_h}" if reset_after
             else f"{sym('x')}{sym('W', 'h')}<mo>+</mo>{r_h}<mo>+</mo>{sym('b', 'h')}")
    z = b.vec("update", act["update"][sample])
    h_tilde = b.vec("candidate", act["candidate"][sample])
    z_t = act["update"][sample]                                            # (timesteps, units)
    h_computed = z_t * h_prev + (1 - z_t) * act["candidate"][sample]    # what a mask discards
    h_value, h_carried = _state_value(b, "h", trace.h[sample], h_computed, padded)
    return [
        _equation(sym("h", tilde=True), _fn(activation, inner),
                  _fn(activation, b.vec("pre_candidate", pre["candidate"][sample])), h_tilde),
        _equation(sym("h"), f"{sym('z')}<mo>⊙</mo>{sym('h', 't-1')}<mo>+</mo><mo>(</mo><mn>1</mn><mo>−</mo>"
                            f"{sym('z')}<mo>)</mo><mo>⊙</mo>{sym('h', tilde=True)}",
                  f"{z}<mo>⊙</mo>{b.vec('h_prev', h_prev)}",
                  ("+", f"<mo>(</mo><mn>1</mn><mo>−</mo>{z}<mo>)</mo><mo>⊙</mo>{h_tilde}"),
                  h_value) + h_carried,
    ]
