"""The step panel's oracle: read the equations exactly as the browser receives them, decode what
each number is from the panel's own text, and compare it with Keras run here.

Reading (nothing from ``ui.drawing.equations``, nothing from the slots' ``data-q`` names):
- the chart element's ``steps`` (template + one row of slot values per step) are filled in as the
  browser's JavaScript does (``template.replace(/\\{(\\d+)\\}/g, …)``);
- the head "step k = 3 reads x_7 · sample 1 · layer 2 of 3 · forward direction" names the step,
  the input index, the sample, the layer and the direction;
- every equation is read as a student reads it: ``lhs = formula = … = [numbers]``. A row of
  numbers stands for the symbols it replaces in the formula row above it (aligned token by
  token), a lone vector is the lhs itself, and the position in a vector is the unit.

The expected numbers: h_t and c_t come from Keras cells (``LSTMCell``, ``GRUCell``,
``SimpleRNNCell``) stepped by hand with the page's weights on the layer's input as Keras's own
model computes it (Masking included: a padded step keeps the state), checked against the Keras
layer's ``return_sequences`` twin. The gates and pre-activations are computed here with NumPy,
by the textbook equations, from Keras's weights and Keras's previous state. Each label of the
panel (``x_t W_i + h_{t−1} U_i + b_i``, ``f_t``, ``c_{t−1}``) is evaluated in that environment.
"""
from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

ATOL = 0.006       # the panel prints 2 decimals
EXACT = 1e-4       # a formula evaluated here vs the value it names (float32 Keras)


# --- reading the panel as shipped ----------------------------------------------------------
def shipped(at, key: str) -> dict:
    """The step-through element's data as the browser receives it: template, values, start."""
    for element in at.get("bidi_component"):
        if element.proto.component_name == "rnnlab_chart":
            data = json.loads(element.proto.json)
            if data.get("key") == key and "panel" in data:
                return data
    raise AssertionError(f"no step-through with key {key!r}")


def fill(template: str, values: list[str]) -> str:
    """What the chart's JavaScript ``fill`` shows: each {n} replaced by values[n], once."""
    return re.sub(r"\{(\d+)\}", lambda m: values[int(m.group(1))], template)


@dataclass
class Vector:
    numbers: np.ndarray   # the shown entries, unit 0 first
    cut: bool             # a ⋯ says the vector goes on


@dataclass
class Equation:
    lhs: str                          # e.g. "h_t", "c̃_t", "x_t"
    members: list[list]               # each "= …" member: tokens (str) and Vectors
    discarded: list[bool]             # the member says it is computed, then discarded
    padded_step: bool = False         # the lhs says "padded step:"


@dataclass
class Reading:
    step: int
    x_index: int
    sample: int
    layer: int                        # 1-based, as printed
    layers: int
    direction: str                    # "forward" unless the panel names another
    equations: list[Equation] = field(default_factory=list)


HEAD = re.compile(r"step k = (\d+) reads x(\d+) · sample (\d+)"
                  r"(?: · layer (\d+) of (\d+))?(?: · (forward|backward) direction)?")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def read(html: str) -> Reading:
    """Decode a filled-in panel."""
    head = re.search(r'<p class="step-head">(.*?)</p>', html, flags=re.S)
    assert head, "the panel has no head naming the step"
    m = HEAD.search(_text(head.group(1)))
    assert m, f"the head does not name step, x, sample: {_text(head.group(1))!r}"
    reading = Reading(step=int(m[1]), x_index=int(m[2]), sample=int(m[3]),
                      layer=int(m[4] or 1), layers=int(m[5] or 1), direction=m[6] or "forward")
    for math in re.findall(r"<math[^>]*>.*?</math>", html, flags=re.S):
        reading.equations.append(_equation(_normal_view(ET.fromstring(math))))
    return reading


def _normal_view(el: ET.Element) -> ET.Element:
    """What the normal view shows: ui/js/presenter.css hides nothing there, and elements marked
    ``only-presenter`` (presenter view's ⋯ for its cut vectors) are hidden (ui/js/chart.css)."""
    for parent in el.iter():
        for child in list(parent):
            if "only-presenter" in child.get("class", "").split():
                parent.remove(child)
    return el


def _equation(math: ET.Element) -> Equation:
    lhs_tokens, members = [], []
    for row in math.iter("mtr"):
        left, right = list(row.findall("mtd"))
        lhs_tokens += _tokens(left)
        tokens = _tokens(right)
        op, rest = tokens[0], tokens[1:]
        if op == "=":
            members.append(rest)
        else:                         # "+ …" continues the member above on a row of its own
            members[-1] += [op] + rest
    texts = [t for t in lhs_tokens if isinstance(t, str) and t.startswith("text:")]
    symbols = [t for t in lhs_tokens if not (isinstance(t, str) and t.startswith("text:"))]
    assert len(symbols) == 1, f"one symbol on the left: {lhs_tokens}"
    discarded = [any(isinstance(t, str) and t.startswith("text:") and "discarded" in t for t in m)
                 for m in members]
    members = [[t for t in m if not (isinstance(t, str) and t.startswith("text:"))] for m in members]
    return Equation(symbols[0], members, discarded,
                    padded_step=any("padded step" in t for t in texts))


def _symbol(el: ET.Element) -> str:
    """The text of a symbol: x_t, h_{t−1}, c̃_t, b′_h."""
    if el.tag == "mi" or el.tag == "mn" or el.tag == "mo":
        return el.text or ""
    if el.tag == "mover":                              # an accent: c̃
        base, accent = list(el)
        return _symbol(base) + ("\u0303" if accent.text == "~" else accent.text)
    if el.tag == "msub":
        base, sub = list(el)
        s = _symbol(sub)
        return f"{_symbol(base)}_{{{s}}}" if len(s) > 1 else f"{_symbol(base)}_{s}"
    if el.tag == "msubsup":
        base, sub, sup = list(el)
        return f"{_symbol(base)}{_symbol(sup)}_{_symbol(sub)}"
    if el.tag == "mrow":
        return "".join(_symbol(c) for c in el)
    raise AssertionError(f"unexpected {el.tag} in a symbol")


def _tokens(el: ET.Element) -> list:
    """A cell's content as tokens: symbols and operators (str), Vectors, 'text:…' notes."""
    out = []
    for child in el:
        tag = child.tag
        if tag == "mrow" and len(child) and child[0].tag == "mo" and child[0].text == "[":
            numbers = [float(c.text.replace("−", "-")) for c in child if c.tag == "mn"]
            cut = any(c.tag == "mo" and c.text == "⋯" for c in child)
            out.append(Vector(np.array(numbers), cut))
        elif tag == "mrow":
            out += _tokens(child)
        elif tag in ("msub", "msubsup", "mover"):
            out.append(_symbol(child))
        elif tag in ("mi", "mn", "mo"):
            out.append(child.text)
        elif tag == "mtext":
            out.append("text:" + (child.text or ""))
        elif tag == "mspace":
            continue
        else:
            raise AssertionError(f"unexpected {tag} in an equation")
    return out


def labels(formula: list, member: list) -> list[list[str]]:
    """For each Vector of ``member``: the tokens of ``formula`` it stands for (aligned so that
    everything else matches literally)."""
    sep = "\x1f"
    pattern = "".join(
        f"((?:[^{sep}]+{sep})+?)" if isinstance(t, Vector) else re.escape(t + sep) for t in member)
    m = re.fullmatch(pattern, "".join(t + sep for t in formula))
    assert m, f"the row {member} is not the formula {formula} with numbers put in"
    return [g.rstrip(sep).split(sep) for g in m.groups()]


# --- evaluating a label ------------------------------------------------------------------------
FUNCTIONS = {"σ": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
             "relu": lambda v: np.maximum(v, 0.0), "linear": lambda v: v,
             "hard_sigmoid": lambda v: np.clip(v / 6 + 0.5, 0.0, 1.0)}


def evaluate(tokens: list[str], env: dict[str, np.ndarray]) -> np.ndarray:
    """The value of a formula's tokens in ``env`` (symbol -> array). Juxtaposition and · are the
    matrix product when the right side is a matrix, ⊙ is element-wise."""
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take(expected=None):
        nonlocal pos
        token = tokens[pos]
        assert expected is None or token == expected, (expected, token, tokens)
        pos += 1
        return token

    def factor():
        token = take()
        if token in FUNCTIONS:
            take("(")
            value = expr()
            take(")")
            return FUNCTIONS[token](value)
        if token == "(":
            value = expr()
            take(")")
            return value
        if re.fullmatch(r"\d+(\.\d+)?", token):
            return float(token)
        assert token in env, f"the panel names {token!r}, which this oracle does not know"
        return env[token]

    def term():
        value = factor()
        while peek() is not None and peek() not in ("+", "−", ")"):
            if peek() == "⊙":
                take()
                value = value * factor()
            else:
                if peek() == "·":
                    take()
                right = factor()
                value = value @ right if np.ndim(right) == 2 else value * right
        return value

    def expr():
        value = term()
        while peek() in ("+", "−"):
            value = value + term() if take() == "+" else value - term()
        return value

    result = expr()
    assert pos == len(tokens), f"unparsed tokens {tokens[pos:]}"
    return result


def page_config(query: dict):
    """The config the page runs: the URL's, with the shape a preset fixes (train_X, word)."""
    from ui.controls import inputs
    from ui.controls.settings import Config
    cfg, warnings = Config.from_query(query)
    assert not warnings, warnings
    fixed = inputs.fixed_shape(cfg, None)
    if fixed:
        cfg = dataclasses.replace(cfg, **dict(zip(("batch_size", "timesteps", "input_dim"), fixed)))
    return cfg


# --- the Keras side -------------------------------------------------------------------------------
ACTIVATIONS = {"tanh": np.tanh, "sigmoid": FUNCTIONS["σ"], "relu": FUNCTIONS["relu"],
               "linear": FUNCTIONS["linear"], "hard_sigmoid": FUNCTIONS["hard_sigmoid"]}


@dataclass
class KerasLayer:
    """One layer and direction, stepped in Keras: what every step's environment is built from."""
    cell: str
    x: np.ndarray            # (batch, timesteps, features): the layer's input, time order
    order: np.ndarray        # (timesteps,) the input index read at step k
    mask: np.ndarray         # (batch, timesteps) bool, processing order (True = real step)
    h: np.ndarray            # (batch, timesteps, units) after step k, processing order
    c: np.ndarray | None
    weights: list            # Keras's kernel, recurrent_kernel[, bias]
    activation: str
    recurrent_activation: str
    reset_after: bool

    @property
    def units(self) -> int:
        return self.h.shape[-1]

    def env(self, sample: int, k: int, computed: bool = False) -> dict[str, np.ndarray]:
        """Every symbol the panel may name at step k of ``sample``, from Keras's numbers. With
        ``computed``: h_t and c_t are the cell's update before the mask (what a padded step
        discards), by the textbook equations."""
        u = self.units
        act, rec = ACTIVATIONS[self.activation], ACTIVATIONS[self.recurrent_activation]
        kernel, recurrent = self.weights[0], self.weights[1]
        bias = self.weights[2] if len(self.weights) > 2 else None
        x_t = self.x[sample, self.order[k]]                                    # (features,)
        h_prev = self.h[sample, k - 1] if k else np.zeros(u)                   # (units,)
        env = {"x_t": x_t, "h_{t−1}": h_prev, "h_t": self.h[sample, k]}
        if self.cell == "SimpleRNN":
            b = bias if bias is not None else np.zeros(u)
            env.update({"W_x": kernel, "W_h": recurrent, "b": b})
            update = act(x_t @ kernel + h_prev @ recurrent + b)
            if computed:
                env["h_t"] = update
            return env
        letters = "ifco" if self.cell == "LSTM" else "zrh"
        for g, letter in enumerate(letters):
            env[f"W_{letter}"] = kernel[:, g * u:(g + 1) * u]                   # (features, units)
            env[f"U_{letter}"] = recurrent[:, g * u:(g + 1) * u]                # (units, units)
        if self.cell == "LSTM":
            b = bias if bias is not None else np.zeros(4 * u)
            for g, letter in enumerate(letters):
                env[f"b_{letter}"] = b[g * u:(g + 1) * u]
            z = x_t @ kernel + h_prev @ recurrent + b                          # (4·units,)
            i, f, o = rec(z[:u]), rec(z[u:2 * u]), rec(z[3 * u:])
            c_tilde = act(z[2 * u:3 * u])
            c_prev = self.c[sample, k - 1] if k else np.zeros(u)
            env.update({"i_t": i, "f_t": f, "c̃_t": c_tilde, "o_t": o, "c_{t−1}": c_prev,
                        "c_t": self.c[sample, k]})
            if computed:
                env["c_t"] = f * c_prev + i * c_tilde
                env["h_t"] = o * act(env["c_t"])
            return env
        # GRU: reset_after=True has an input bias row and a recurrent bias row
        if bias is None:
            b_in, b_rec = np.zeros(3 * u), np.zeros(3 * u)
        elif bias.ndim == 2:
            b_in, b_rec = bias[0], bias[1]
        else:
            b_in, b_rec = bias, np.zeros(3 * u)
        x_part = x_t @ kernel + b_in                                            # (3·units,)
        h_part = h_prev @ recurrent                                             # (3·units,)
        for g, letter in enumerate("zr"):
            env[f"b_{letter}"] = b_in[g * u:(g + 1) * u] + b_rec[g * u:(g + 1) * u]
        z = rec(x_part[:u] + h_part[:u] + b_rec[:u])
        r = rec(x_part[u:2 * u] + h_part[u:2 * u] + b_rec[u:2 * u])
        env.update({"b_h": b_in[2 * u:], "b′_h": b_rec[2 * u:], "z_t": z, "r_t": r})
        if self.reset_after:
            h_tilde = act(x_part[2 * u:] + r * (h_part[2 * u:] + b_rec[2 * u:]))
        else:
            h_tilde = act(x_part[2 * u:] + (r * h_prev) @ recurrent[:, 2 * u:])
        env["h̃_t"] = h_tilde
        if computed:
            env["h_t"] = z * h_prev + (1 - z) * h_tilde
        return env


QUANTITIES = {"SimpleRNN": ("h_t",), "LSTM": ("i_t", "f_t", "c̃_t", "o_t", "c_t", "h_t"),
              "GRU": ("z_t", "r_t", "h̃_t", "h_t")}


def check_step(reading: Reading, keras: KerasLayer) -> None:
    """Every number of one filled-in panel against Keras. Raises AssertionError naming the
    equation, the member and the units that disagree."""
    k, n = reading.step, reading.sample
    assert reading.x_index == keras.order[k], (
        f"step {k} reads x{keras.order[k]} in Keras, the panel says x{reading.x_index}")
    padded = not keras.mask[n, k]
    env = keras.env(n, k)
    shown = set()
    for eq in reading.equations:
        where = f"step {k}, {eq.lhs}"
        # an equation whose arithmetic is the discarded update is evaluated as that update
        eq_env = keras.env(n, k, computed=True) if any(eq.discarded) else env
        formula = eq.members[0]
        symbolic = not any(isinstance(t, Vector) for t in formula)
        if symbolic:
            np.testing.assert_allclose(
                evaluate(formula, eq_env), eq_env[eq.lhs], atol=EXACT,
                err_msg=f"{where}: {' '.join(formula)} does not add up to {eq.lhs}"
                        + (" (a padded step: the state is carried)" if padded else ""))
        for member, discarded in zip(eq.members, eq.discarded):
            vectors = [t for t in member if isinstance(t, Vector)]
            if member == vectors and len(vectors) == 1:      # "= [numbers]": the lhs itself
                names = [[eq.lhs]]
            else:
                assert symbolic, f"{where}: numbers without a formula to read them from"
                names = labels(formula, member)
            for vector, name in zip(vectors, names):
                expected = np.atleast_1d(evaluate(name, eq_env))
                _compare(vector, expected, f"{where}: {' '.join(name)}")
            if member == vectors and not discarded:
                shown.add(eq.lhs)
        if eq.padded_step:
            assert padded, f"{where}: says 'padded step' at a real step"
    missing = set(QUANTITIES[keras.cell]) - shown
    assert not missing, f"step {k}: no row gives {sorted(missing)}"


def _compare(vector: Vector, expected: np.ndarray, what: str) -> None:
    shown = min(len(expected), 6)
    assert len(vector.numbers) == shown and vector.cut == (len(expected) > shown), (
        f"{what}: {len(vector.numbers)} numbers shown{' and ⋯' if vector.cut else ''}, "
        f"the quantity has {len(expected)}")
    np.testing.assert_allclose(vector.numbers, expected[:shown], atol=ATOL,
                               err_msg=f"{what} (unit = position)")


def keras_layer(keras, cfg, layer_index: int) -> KerasLayer:
    """Stacked layer ``layer_index`` of the config (its forward direction), stepped in Keras.

    The page's weights and input are this oracle's inputs (``lab.build_model``, ``inputs``); every
    output is Keras's: the lower layers run as a Keras model (Masking, Bidirectional and the merge
    included), then a Keras cell steps the shown layer by hand, and the Keras layer's own
    ``return_sequences`` twin must agree with that loop."""
    from ui.controls import inputs
    from ui.runtime import lab

    ours = [layer for layer in lab.build_model(cfg).layers if layer.name != "masking"]
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths()).astype("float32")  # (batch, T, F)
    batch, timesteps, _ = x.shape
    flags = dict(activation=cfg.activation, use_bias=cfg.use_bias)
    if cfg.cell != "SimpleRNN":
        flags["recurrent_activation"] = cfg.recurrent_activation
    if cfg.cell == "GRU":
        flags["reset_after"] = cfg.reset_after
    layer_x = x
    if layer_index:                                   # what Keras hands the shown layer
        inp = keras.Input(x.shape[1:], batch_size=batch)
        h = keras.layers.Masking(0.0)(inp) if cfg.valid_lengths() else inp
        for below in ours[:layer_index]:
            rnn = getattr(keras.layers, cfg.cell)(cfg.units, return_sequences=True,
                                                  go_backwards=cfg.go_backwards, **flags)
            klayer = keras.layers.Bidirectional(rnn, merge_mode=cfg.merge) if cfg.bidirectional else rnn
            h = klayer(h)
            klayer.set_weights(below.get_weights())
        layer_x = np.asarray(keras.Model(inp, h)(x))  # (batch, T, features of the layer above)
    # Masking(0.0): a step is real when any feature of x is not 0 (kept up a sequence stack)
    mask_time = np.any(x != 0.0, axis=-1) if cfg.valid_lengths() else np.ones((batch, timesteps), bool)
    order = np.arange(timesteps)[::-1] if cfg.go_backwards else np.arange(timesteps)
    weights = ours[layer_index].get_weights()
    if cfg.bidirectional:
        weights = weights[:len(weights) // 2]          # the forward copy's
    cell = getattr(keras.layers, cfg.cell + "Cell")(cfg.units, **flags)
    cell.build((None, layer_x.shape[-1]))
    cell.set_weights(weights)
    states = [np.zeros((batch, cfg.units), "float32") for _ in range(2 if cfg.cell == "LSTM" else 1)]
    hs, cs = [], []
    for j in order:                                    # processing order
        _, new = cell(layer_x[:, j], states)
        real = mask_time[:, j][:, None]                # (batch, 1): a padded step keeps the state
        states = [np.where(real, np.asarray(s_new), s) for s_new, s in zip(new, states)]
        hs.append(states[0])
        cs.append(states[-1])
    h_seq = np.stack(hs, axis=1)                      # (batch, T, units) processing order
    twin = getattr(keras.layers, cfg.cell)(cfg.units, return_sequences=True,
                                           go_backwards=cfg.go_backwards, **flags)
    twin.build(layer_x.shape)
    twin.set_weights(weights)
    seq = np.asarray(twin(layer_x, mask=mask_time if cfg.valid_lengths() else None))
    np.testing.assert_allclose(h_seq, seq, atol=1e-5, err_msg="the hand loop is Keras's layer")
    return KerasLayer(cfg.cell, layer_x, order, mask_time[:, order], h_seq,
                      np.stack(cs, axis=1) if cfg.cell == "LSTM" else None,
                      [np.asarray(w, dtype=float) for w in cell.get_weights()],
                      cfg.activation, cfg.recurrent_activation, cfg.reset_after)


# --- tables and readouts -----------------------------------------------------------------------
def keras_stack(keras, cfg) -> list[list[np.ndarray]]:
    """What every recurrent layer of the config's model returns in Keras (as a list: output,
    then states), with the page's weights on the page's input: Masking when lengths are set, the
    config's flags (the top layer's return_sequences/return_state, lower layers returning
    sequences), Bidirectional with its merge mode."""
    from ui.controls import inputs
    from ui.runtime import lab

    ours = [layer for layer in lab.build_model(cfg).layers if layer.name != "masking"]
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths()).astype("float32")
    inp = keras.Input(x.shape[1:], batch_size=x.shape[0])
    h = keras.layers.Masking(0.0)(inp) if cfg.valid_lengths() else inp
    outs = []
    for i, layer in enumerate(ours):
        top = i == len(ours) - 1
        flags = dict(activation=cfg.activation, use_bias=cfg.use_bias,
                     return_sequences=cfg.return_sequences if top else cfg.lower_return_sequences,
                     return_state=cfg.return_state and top, go_backwards=cfg.go_backwards)
        if cfg.cell != "SimpleRNN":
            flags["recurrent_activation"] = cfg.recurrent_activation
        if cfg.cell == "GRU":
            flags["reset_after"] = cfg.reset_after
        rnn = getattr(keras.layers, cfg.cell)(cfg.units, **flags)
        klayer = keras.layers.Bidirectional(rnn, merge_mode=cfg.merge) if cfg.bidirectional else rnn
        result = klayer(h)
        klayer.set_weights(layer.get_weights())
        result = list(result) if isinstance(result, (list, tuple)) else [result]
        outs.append(result)
        h = result[0]
    values = keras.Model(inp, [o for layer_outs in outs for o in layer_outs])(x)
    values = [np.asarray(v) for v in (values if isinstance(values, (list, tuple)) else [values])]
    per_layer, i = [], 0
    for layer_outs in outs:
        per_layer.append(values[i:i + len(layer_outs)])
        i += len(layer_outs)
    return per_layer


def keras_count(keras, cfg, input_dim: int) -> int:
    """Keras's count_params of one layer of the config reading ``input_dim`` features."""
    flags = dict(use_bias=cfg.use_bias)
    if cfg.cell == "GRU":
        flags["reset_after"] = cfg.reset_after
    layer = getattr(keras.layers, cfg.cell)(cfg.units, **flags)
    if cfg.bidirectional:
        layer = keras.layers.Bidirectional(layer, merge_mode=cfg.merge)
    layer.build((None, cfg.timesteps, input_dim))
    return layer.count_params()


def printed_arrays(code: str) -> list[tuple[str, np.ndarray]]:
    """Every ``name (shape):`` header of a code block and the NumPy-printed array under it."""
    parts = re.split(r"^(\w+) \(([\d, ]*)\):$", code, flags=re.M)
    out = []
    for name, shape, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        numbers = re.findall(r"-?\d+\.\d*(?:e[-+]\d+)?|-?\d+(?:e[-+]\d+)?", body)
        dims = tuple(int(d) for d in shape.split(",") if d.strip())
        out.append((name, np.array([float(n) for n in numbers]).reshape(dims)))
    return out
