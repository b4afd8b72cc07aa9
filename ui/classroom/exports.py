"""Take a view home: Keras and PyTorch code, a notebook, the trace as data, charts, the link.

Pure builders ``(cfg, layer, x) -> str | bytes`` first; ``panel`` at the end is the Streamlit
glue (download buttons whose files are built only when clicked). Every code export embeds the
page's exact input and weights, so running it prints the numbers the page shows.
"""
from __future__ import annotations

import base64
import dataclasses
import inspect
import io
import json
import sys
from dataclasses import dataclass
from urllib.parse import urlencode

import nbformat
import numpy as np
import plotly.io
import streamlit as st

from rnn_core import layers, torch_convert
from ui.classroom import keras_code, view
from ui.classroom.sources import cite
from ui.controls import inputs, keys
from ui.controls.settings import Config
from ui.runtime import chart as chart_module

INLINE_MAX = 2000  # arrays up to this many numbers are written out; bigger ones as base64
PRINT_OPTIONS = dict(precision=7, suppress_small=True)  # as /hidden_states prints the outputs


def file_stem(cfg, x) -> str:
    """A meaningful file name stem: rnnlab_lstm_u8_t10, rnnlab_bigru_u4_t7."""
    return f"rnnlab_{'bi' if cfg.bidirectional else ''}{cfg.cell.lower()}_u{cfg.units}_t{x.shape[1]}"


# --- code pieces -----------------------------------------------------------------------------------
def array_code(a) -> str:
    """A float32 array as Python source that rebuilds it bit for bit."""
    a = np.asarray(a, np.float32)
    if a.size <= INLINE_MAX:
        # floatmode="unique": the shortest decimal that reads back as the same float32
        text = np.array2string(a, separator=", ", threshold=sys.maxsize, floatmode="unique",
                               max_line_width=100)
        return f"np.array({text}, dtype=np.float32)"
    data = base64.b64encode(np.ascontiguousarray(a, "<f4").tobytes()).decode("ascii")
    return f'np.frombuffer(base64.b64decode("{data}"), dtype="<f4").reshape({a.shape})'


def _source_call(functions, call: str) -> str:
    """The functions' own source (the app's exact code), then ``x = call``."""
    return "\n\n".join(inspect.getsource(f) for f in functions) + f"\n\nx = {call}"


def input_code(cfg, x) -> str:
    """Source that rebuilds ``x`` exactly: the preset's own NumPy code (then the zero padding
    after each sample's length), or the values."""
    b, t, d = x.shape
    candidates = {  # preset -> (functions whose source is shown, the call shown, the same call)
        "random": ([inputs.seeded_random], f"seeded_random({b}, {t}, {d}, seed={cfg.seed})",
                   lambda: inputs.seeded_random(b, t, d, cfg.seed)),
        "sine": ([inputs.sine_waves], f"sine_waves({b}, {t}, {d})",
                 lambda: inputs.sine_waves(b, t, d)),
        "word": ([inputs.vocabulary, inputs.one_hot], f"one_hot({cfg.word!r})",
                 lambda: inputs.one_hot(cfg.word)),
    }
    lengths = cfg.valid_lengths()
    padding = "".join(f"\nx[{i}, {n}:] = 0.0  # sample {i}: length {n}, then zero padding"
                      for i, n in enumerate(lengths) if n < t)
    if cfg.preset in candidates:
        functions, call, rebuild = candidates[cfg.preset]
        again = rebuild()  # a fallback preset (no CSV yet) must not claim the preset's code
        if lengths and again.shape == x.shape:
            again = again.copy()  # (batch, timesteps, features)
            for i, n in enumerate(lengths):
                again[i, n:] = 0.0
        if again.shape == x.shape and np.array_equal(again, x):
            return (_source_call(functions, call) + "  # (batch, timesteps, features)"
                    + padding)
    what = {"train_X": f"train_X from {cite('004')}",
            "csv": "the uploaded CSV"}.get(cfg.preset, "the input")
    return f"# {what}, (batch, timesteps, features)" + (", zero-padded" if lengths else "") + \
        f"\nx = {array_code(x)}"


# --- what the exports print: the same labels as the page ----------------------------------------
@dataclass(frozen=True)
class View:
    """What the page shows of the model: the step-through's ``sample``, stacked layer
    ``layer_index`` (0 = bottom) and ``step`` (processing order, -1 = the last); a
    ``decoder_timesteps`` marks the encoder -> decoder page."""
    sample: int = 0
    layer_index: int = 0
    step: int = -1
    decoder_timesteps: int | None = None

    def step_of(self, timesteps: int) -> int:
        """The step the page shows (-1 or too large = the last), as ``lab.current_step``."""
        return timesteps - 1 if self.step < 0 or self.step >= timesteps else self.step


QUANTITIES = {  # trace name -> label, in the order of the page's step panel
    "LSTM": [("input", "i_t (input gate)"), ("forget", "f_t (forget gate)"),
             ("candidate", "c̃_t (candidate)"), ("output", "o_t (output gate)"),
             ("c", "c_t (cell state)"), ("h", "h_t (hidden state)")],
    "GRU": [("update", "z_t (update gate)"), ("reset", "r_t (reset gate)"),
            ("candidate", "h̃_t (candidate)"), ("h", "h_t (hidden state)")],
    "SimpleRNN": [("h", "h_t (hidden state)")],
}


# These two are embedded, source and all, in every code export (NumPy only).
def show(label, names, arrays):
    """Print each array under '<label> <name> <shape>:', every value to 7 decimals."""
    for name, a in zip(names, arrays):
        a = np.asarray(a)
        print(f"{label} {name} {tuple(a.shape)}:")
        print(np.array2string(a, precision=7, suppress_small=True, threshold=a.size + 1,
                              max_line_width=100))


def show_step(where, values, quantities, sample, step):
    """One line per unit, labelled as the page labels it:
    'quantity · sample s · layer l · direction · step k · unit u = value'."""
    for key, label in quantities:
        for unit, value in enumerate(np.asarray(values[key])[sample]):
            print(f"{label} · sample {sample} · {where} · step {step} · unit {unit} = {value:.7f}")


@dataclass
class Part:
    """One recurrent layer of the export: how the code names it and what it reads."""
    label: str         # as the page and the printout say it: "layer 1", "encoder", "decoder"
    var: str           # its Python variable: layer_1, encoder, decoder
    cfg: Config        # its own flags (a lower layer of a stack returns sequences, no states)
    layer: object      # the rnn_core layer holding the page's weights
    input_var: str     # the array it reads
    masked: bool       # it receives Masking's mask
    output_names: list[str]
    initial_state: str | None = None  # source of its initial states (the decoder's)

    def weight_vars(self) -> list[str]:
        return [f"{self.var}_{name}" for name in self.layer.weight_names()]

    def directions(self) -> list[tuple[str, list[str], bool]]:
        """(direction, its weight variables, whether it reads backwards) per direction."""
        ws = self.weight_vars()
        if self.cfg.bidirectional:  # Keras's backward copy reads the other way round
            half = len(ws) // 2
            return [("forward", ws[:half], self.cfg.go_backwards),
                    ("backward", ws[half:], not self.cfg.go_backwards)]
        return [("backward" if self.cfg.go_backwards else "forward", ws, self.cfg.go_backwards)]

    @property
    def n_states(self) -> int:
        return len(layers.CELL_CLASS[self.cfg.cell].state_names)


def stack_parts(cfg, layers_: list) -> list[Part]:
    """The parts of the page's model: every recurrent layer, bottom first."""
    parts = []
    for i, layer in enumerate(layers_):
        own = dataclasses.replace(cfg, return_sequences=layer.return_sequences,
                                  return_state=layer.return_state)
        parts.append(Part(f"layer {i + 1}", f"layer_{i + 1}", own, layer,
                          "x" if i == 0 else f"layer_{i}_outputs[0]", bool(cfg.lengths),
                          layer.output_names()))
    return parts


def encoder_decoder_parts(cfg, encoder, decoder) -> list[Part]:
    """/encoder_decoder: the encoder reads x (masked), the decoder y from the encoder's states."""
    plain = dataclasses.replace(cfg, bidirectional=False, go_backwards=False, stateful=False,
                                layers=1)
    states = [f"state_{s}" for s in layers.CELL_CLASS[cfg.cell].state_names]
    return [Part("encoder", "encoder", dataclasses.replace(plain, return_sequences=False,
                                                           return_state=True),
                 encoder, "x", bool(cfg.lengths), ["encoder_output", *states]),
            Part("decoder", "decoder", dataclasses.replace(plain, return_state=False),
                 decoder, "y", False, ["decoder_output"], initial_state="encoder_outputs[1:]")]


def parts_for(cfg, current, view: View) -> list[Part]:
    """The parts the export rebuilds, with fresh copies of the page's weights."""
    if view.decoder_timesteps is not None:
        from ui.runtime import lab

        encoder, decoder = lab.encoder_decoder(cfg)
        x, y = current.x, inputs.decoder_input(cfg, view.decoder_timesteps)
        encoder.build(x.shape)
        decoder.build(y.shape)
        return encoder_decoder_parts(cfg, encoder, decoder)
    return stack_parts(cfg, [layer for layer in current.fresh_model().layers if layer.directions])


def _gate_note(cell: str) -> str:
    symbols = layers.CELL_CLASS[cell].gate_symbols
    return f", gates {', '.join(symbols)}" if symbols else ""


def weights_code(parts: list[Part]) -> str:
    """One variable per weight in Keras's layout, for every part."""
    lines = []
    for part in parts:
        for var, w in zip(part.weight_vars(), part.layer.get_weights()):
            lines.append(f"{var} = {array_code(w)}  # {tuple(w.shape)}{_gate_note(part.cfg.cell)}")
    return "\n".join(lines)


def keras_layer_code(cfg) -> str:
    """``layers.LSTM(...)`` for the config (Bidirectional-wrapped), as on /shapes."""
    return keras_code.bidirectional(cfg, f"layers.{cfg.cell}({keras_code.layer_args(cfg)})")


def imports_code(code: str, imports: list[str]) -> str:
    """The import lines ``code`` needs (base64 only when big arrays are encoded)."""
    return "\n".join((["import base64"] if "base64." in code else []) + imports)


def sources(*functions) -> str:
    return "\n\n".join(inspect.getsource(f) for f in functions)


def decoder_code(cfg, view: View, x_code: str) -> str:
    """The decoder's input y, as /encoder_decoder makes it (``inputs.decoder_input``)."""
    y = inputs.decoder_input(cfg, view.decoder_timesteps)
    call = f"seeded_random({y.shape[0]}, {y.shape[1]}, {y.shape[2]}, seed={cfg.seed + 1})"
    line = f"y = {call}  # the decoder's input (batch, timesteps, features)"
    return line if "def seeded_random" in x_code else f"{sources(inputs.seeded_random)}\n\n{line}"


def title_of(cfg, view: View) -> str:
    if view.decoder_timesteps is not None:
        return f"{cfg.cell}({cfg.units}) encoder -> decoder"
    one = f"{'Bidirectional ' if cfg.bidirectional else ''}{cfg.cell}({cfg.units})"
    return one if cfg.layers == 1 else f"{cfg.layers} stacked {one} layers"


# --- Keras: one list of (markdown, code) sections, for the .py file and the notebook -------------
def keras_sections(cfg, current, view: View = View(), link: str | None = None) -> list[tuple[str, str]]:
    """The Keras reproduction as (explanation, code) sections: input, mask, weights, layers, what
    each layer returns, and the numbers of the step in view."""
    parts = parts_for(cfg, current, view)
    x_code = input_code(cfg, current.x)
    weights = weights_code(parts)
    masked = any(p.masked for p in parts)
    helpers = [show, show_step, keras_code.as_arrays]
    stepping = view.decoder_timesteps is None
    if stepping:
        helpers += [keras_code.keras_steps, keras_code.keras_gates]
    sections = [
        (f"# RNN Lab: {title_of(cfg, view)} in Keras\nRebuilds the page's model with the same input "
         "and the same weights, then prints what the page shows. Needs `pip install tensorflow numpy`.",
         "import os\nos.environ.setdefault(\"KERAS_BACKEND\", \"tensorflow\")\n"
         + imports_code(weights + x_code, ["import numpy as np", "import keras",
                                           "from keras import layers"])
         + ("" if link is None else f"\n\nSHARE_LINK = {link!r}  # this view in RNN Lab")),
        ("## Printing helpers\nEach number is printed with its label, as the page labels it.",
         sources(*helpers)),
        ("## The input x\nThe page's preset, rebuilt with the app's own NumPy code (or its values)"
         + (", then zero padding after each sample's length." if cfg.lengths else "."),
         x_code + ("\n\n" + decoder_code(cfg, view, x_code) if view.decoder_timesteps is not None else "")),
    ]
    if masked:
        sections.append((
            "## The mask\n`Masking(0.0)` marks a step as padding when all its features are 0.0; "
            "the recurrent layers skip those steps (their states are carried through).",
            "masking = keras.layers.Masking(0.0)  # mask_value=0.0\n"
            "mask = masking.compute_mask(x)  # (batch, timesteps): False at padded steps"))
    sections.append(("## The weights, in Keras's layout\n`kernel` (input_dim, G·units), "
                     "`recurrent_kernel` (units, G·units), `bias`; gate blocks side by side.",
                     weights))
    sections.append(("## The layers, with these weights, and what each returns\n"
                     "Initializers do not matter: `set_weights` replaces every value. "
                     + ("Each layer above the first reads the output of the layer below; the mask "
                        "travels up with it. " if len(parts) > 1 and view.decoder_timesteps is None
                        else "")
                     + ("The decoder starts from the encoder's final states (`initial_state`). "
                        if view.decoder_timesteps is not None else ""),
                     "\n\n".join(_keras_call(p) for p in parts)))
    if stepping:
        sections.append(_keras_step_section(cfg, parts, current.x.shape, view))
    return sections


def _keras_call(part: Part) -> str:
    cfg, var = part.cfg, part.var
    call_args = [part.input_var] + (["mask=mask"] if part.masked else []) + (
        [f"initial_state={part.initial_state}"] if part.initial_state else [])
    lines = [f"{var} = {keras_layer_code(cfg)}",
             f"{var}.build({part.input_var}.shape)  # (batch, timesteps, features)",
             f"{var}.set_weights([{', '.join(part.weight_vars())}])",
             f"{var}_outputs = as_arrays({var}({', '.join(call_args)}))",
             f"show({part.label!r}, {part.output_names!r}, {var}_outputs)"]
    if cfg.stateful:
        states = ([f"{var}.forward_layer.states", f"{var}.backward_layer.states"]
                  if cfg.bidirectional else [f"{var}.states"])
        lines += ["# stateful=True: the layer keeps its final states for its next call "
                  "(until reset_state())",
                  f"show({part.label!r}, {carried_names(part)!r}, "
                  f"as_arrays(list({' + '.join(f'list({s})' for s in states)})))"]
    return "\n".join(lines)


def carried_names(part: Part) -> list[str]:
    names = ["carried_h", "carried_c"][:part.n_states]
    if part.cfg.bidirectional:
        return [f"{d}_{n}" for d in ("forward", "backward") for n in names]
    return names


def _step_intro(cfg, part: Part, view: View, timesteps: int) -> tuple[str, int]:
    step = view.step_of(timesteps)
    what = ", ".join(label for _, label in QUANTITIES[cfg.cell])
    text = (f"## Step {step} of sample {view.sample}, {part.label} (the step-through's view)\n"
            f"{what} at that step, for every unit and direction, as the page's equations show "
            "them (steps in each direction's processing order). The cell is stepped from zero "
            "states; a padded step keeps the states and the gates are computed, then discarded.")
    return text, step


def _keras_step_section(cfg, parts: list[Part], shape, view: View) -> tuple[str, str]:
    part = parts[min(view.layer_index, len(parts) - 1)]
    text, step = _step_intro(cfg, part, view, shape[1])
    batch = shape[0]
    cell_attr = {"forward": "forward_layer.cell", "backward": "backward_layer.cell"}
    rows = []
    for direction, ws, backwards in part.directions():
        cell = f"{part.var}.{cell_attr[direction]}" if cfg.bidirectional else f"{part.var}.cell"
        rows.append(f"    ({part.label + ' · ' + direction!r}, {cell}, [{', '.join(ws)}], {backwards}),")
    code = "\n".join([
        f"SAMPLE, STEP = {view.sample}, {step}",
        f"QUANTITIES = {QUANTITIES[cfg.cell]!r}",
        "mask_steps = " + ("keras.ops.convert_to_numpy(mask)  # (batch, timesteps) bool"
                           if part.masked else "None  # no padding"),
        "for where, cell, weights, backwards in [",
        *rows,
        "]:",
        f"    zeros = [np.zeros(({batch}, {cfg.units}), np.float32)] * {part.n_states}  # h_0 (, c_0)",
        f"    x_t, before, after = keras_steps(cell, {part.input_var}, zeros, mask_steps, backwards, STEP)",
        f"    gates = keras_gates({cfg.cell!r}, weights, x_t, before[0], activation={cfg.activation!r},",
        f"                        recurrent_activation={cfg.recurrent_activation!r}, "
        f"reset_after={cfg.reset_after})",
        "    show_step(where, {**gates, \"h\": after[0], \"c\": after[-1]}, QUANTITIES, SAMPLE, STEP)",
    ])
    return text, code


def keras_script(cfg, current, view: View = View(), link: str | None = None) -> str:
    """The Keras reproduction as one runnable .py file."""
    parts = []
    for text, code in keras_sections(cfg, current, view, link):
        comment = "\n".join("# " + line.lstrip("# ") if line else "#" for line in text.splitlines())
        parts.append(f"{comment}\n{code}")
    return "\n\n\n".join(parts) + "\n"


def notebook(cfg, current, view: View = View(), link: str | None = None) -> str:
    """The Keras reproduction as a Jupyter notebook (nbformat 4 JSON)."""
    cells = []
    for text, code in keras_sections(cfg, current, view, link):
        cells += [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell(code)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb)


# --- PyTorch ---------------------------------------------------------------------------------------
def torch_plan(cfg, parts: list[Part], view: View) -> tuple[str, str]:
    """(how the PyTorch export runs the model, why): "stack" = one nn.LSTM(num_layers=N),
    "modules" = one module per layer, "steps" = PyTorch's cells in a per-step loop."""
    if view.decoder_timesteps is not None and not parts[0].masked:
        return "modules", "The encoder and the decoder: one PyTorch module each."
    if any(p.masked for p in parts):
        return "steps", (
            "Masking: PyTorch's modules have no mask. A per-step loop over nn.*Cell keeps the "
            "states at padded steps, exactly as Keras does. pack_padded_sequence would not print "
            "Keras's numbers: its outputs at padded steps are 0 where a Keras layer repeats its "
            "last output, and it cannot pad at the front, which a backward direction needs.")
    if len(parts) == 1:
        return "modules", "One layer: one PyTorch module."
    if cfg.go_backwards:
        return "modules", ("go_backwards in a stack: every Keras layer reverses what it reads and "
                           "returns its steps in that order; nn.LSTM(num_layers=N) reverses nothing, "
                           "so each layer is its own module, fed its input reversed.")
    if cfg.bidirectional and cfg.merge != "concat":
        return "modules", (f"merge_mode={cfg.merge!r}: between its layers nn.*(num_layers=N, "
                           "bidirectional=True) concatenates the two directions; Keras merges "
                           "them first, so each layer is its own module and the merge is written out.")
    return "stack", ("The same cell in every layer, no mask, no reversal"
                     + (", directions concatenated between layers (merge_mode='concat')"
                        if cfg.bidirectional else "")
                     + f": one nn.{torch_convert.TORCH_CLASSES[cfg.cell]}(num_layers={len(parts)}) "
                       "is exactly Keras's stack.")


def _module_args(part: Part, num_layers: int, input_size: int) -> str:
    kwargs = torch_convert.torch_kwargs(part.layer)
    kwargs.update(input_size=input_size, num_layers=num_layers)
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def _suffixes(part: Part, index: int) -> list[tuple[list[str], str]]:
    return [(ws, f"_l{index}" + ("_reverse" if direction == "backward" and part.cfg.bidirectional else ""))
            for direction, ws, _ in part.directions()]


def _torch_module_call(part: Part, var: str, index_in_module: int, parts_in_module: list[Part],
                       x_in: str, hx: str | None) -> list[str]:
    cfg = part.cfg
    first = parts_in_module[0]
    lines = [f"{var} = torch.nn.{torch_convert.TORCH_CLASSES[cfg.cell]}("
             f"{_module_args(first, len(parts_in_module), first.layer.input_dim)})",
             "params = {}"]
    for k, p in enumerate(parts_in_module):
        for ws, suffix in _suffixes(p, k):
            lines.append(f"params.update(keras_to_torch({cfg.cell!r}, [{', '.join(ws)}], suffix={suffix!r}))")
    lines.append(f"{var}.load_state_dict({{name: torch.from_numpy(w) for name, w in params.items()}})")
    backwards = cfg.go_backwards and not cfg.bidirectional
    if backwards:
        lines.append(f"x_in = np.ascontiguousarray({x_in}[:, ::-1])  # go_backwards: PyTorch has no "
                     "such flag; feed the reversed sequence")
    else:
        lines.append(f"x_in = {x_in}")
    directions = 2 if cfg.bidirectional else 1
    lines += ["with torch.no_grad():",
              f"    output, h_n = {var}(torch.from_numpy(x_in){', ' + hx if hx else ''})"
              "  # batch_first: (batch, timesteps, directions·units)",
              ("h_n, c_n = h_n  # each (num_layers·directions, batch, units)" if cfg.cell == "LSTM"
               else "c_n = None  # h_n: (num_layers·directions, batch, units)"),
              f"{part.var}_outputs = torch_outputs_as_keras(  # the top layer's h_n, c_n: the last {directions}",
              f"    output.numpy(), h_n[-{directions}:].numpy(), "
              f"None if c_n is None else c_n[-{directions}:].numpy(),",
              f"    return_sequences={cfg.return_sequences}, return_state={cfg.return_state},",
              f"    merge_mode={cfg.merge!r}, bidirectional={cfg.bidirectional})",
              f"show({part.label!r}, {part.output_names!r}, {part.var}_outputs)"]
    return lines


def _cells_code(part: Part) -> str:
    return f"cells_{part.var} = [{', '.join(f'make_cell([{chr(44).join(ws)}], {part.layer.input_dim})' for _, ws, _ in part.directions())}]"


def _steps_call(part: Part, x_in: str, return_state=None, initial=None) -> str:
    cfg = part.cfg
    return (f"keras_layer_by_steps(cells_{part.var}, torch.from_numpy({x_in}), "
            f"{'mask' if part.masked else 'None'}, go_backwards={cfg.go_backwards}, "
            f"return_sequences={cfg.return_sequences}, "
            f"return_state={cfg.return_state if return_state is None else return_state}, "
            f"merge_mode={cfg.merge!r}" + (f", initial_states={initial}" if initial else "") + ")")


def torch_script(cfg, current, view: View = View(), link: str | None = None) -> str:
    """The page's model in PyTorch, weights converted in the open; prints what the Keras export
    prints. Raises ValueError when PyTorch has no equivalent (e.g. GRU reset_after=False)."""
    parts = parts_for(cfg, current, view)
    for part in parts:
        torch_convert.torch_kwargs(part.layer)  # ValueError: no PyTorch equivalent
    plan, why = torch_plan(cfg, parts, view)
    weights = weights_code(parts)
    x_code = input_code(cfg, current.x)
    first = getattr(parts[0].layer, "forward_layer", parts[0].layer)  # one direction's flags
    cell_class = torch_convert.TORCH_CLASSES[cfg.cell] + "Cell"
    extra = f", nonlinearity={first.activation!r}" if cfg.cell == "SimpleRNN" else ""
    body = [
        f"# RNN Lab: {title_of(cfg, view)} in PyTorch; the weights come from Keras's layout.",
        "# Prints what the page (and the Keras export) prints. Needs `pip install torch numpy`.",
        imports_code(weights + x_code, ["import numpy as np", "import torch"]),
        "" if link is None else f"SHARE_LINK = {link!r}  # this view in RNN Lab",
        "", "# Printing helpers: each number with its label, as the page labels it",
        sources(show, show_step), "",
        "# The conversion, written out (rnn_core.torch_convert.keras_to_torch), and PyTorch's",
        "# (output, h_n[, c_n]) -> the list Keras returns:",
        sources(torch_convert.keras_to_torch, torch_convert.torch_outputs_as_keras), "",
        "# Keras's loop with PyTorch's cells (masks, steps), and the gates at one step:",
        sources(torch_convert.torch_steps, torch_convert.keras_layer_by_steps,
                torch_convert.torch_gates), "",
        x_code, "",
    ]
    if view.decoder_timesteps is not None:
        body += [decoder_code(cfg, view, x_code), ""]
    if any(p.masked for p in parts):
        body += ["# What Keras's Masking(0.0) computes: a step is padding when all its features are 0.0",
                 "mask = torch.from_numpy(np.any(x != 0.0, axis=-1))  # (batch, timesteps) bool", ""]
    body += ["# Keras's weights: kernel (input_dim, G·units), recurrent_kernel (units, G·units), bias",
             weights, "",
             "def make_cell(weights, input_size):",
             "    \"\"\"PyTorch's cell for one direction of one layer, holding its converted weights.\"\"\"",
             f"    cell = torch.nn.{cell_class}(input_size, {cfg.units}, bias={first.use_bias}{extra})",
             f"    params = keras_to_torch({cfg.cell!r}, weights, suffix=\"\")",
             "    cell.load_state_dict({name: torch.from_numpy(w) for name, w in params.items()})",
             "    return cell", "",
             *[_cells_code(p) for p in parts], "",
             f"# How this model runs in PyTorch: {why}"]
    if plan == "stack":
        top = parts[-1]
        body += _torch_module_call(top, "rnn", 0, parts, "x", None)
        body.append(f"# nn.{torch_convert.TORCH_CLASSES[cfg.cell]}(num_layers={len(parts)}) returns "
                    "the top layer's sequence only; the lower layers' come from the cells below "
                    "where needed.")
        lower_needed = max(view.layer_index, len(parts) - 1 if cfg.stateful else 0)
        for p in parts[:min(lower_needed, len(parts) - 1)]:
            body.append(f"with torch.no_grad():\n    {p.var}_outputs = {_steps_call(p, p.input_var)}")
    else:
        for p in parts:
            if plan == "steps":
                initial = None
                if p.initial_state:
                    initial = f"[torch.from_numpy(s) for s in {p.initial_state}]"
                body += ["with torch.no_grad():",
                         f"    {p.var}_outputs = {_steps_call(p, p.input_var, initial=initial)}",
                         f"show({p.label!r}, {p.output_names!r}, {p.var}_outputs)"]
            else:
                hx = None
                if p.initial_state:  # (num_layers·directions, batch, units) each
                    states = [f"torch.from_numpy({p.initial_state.split('[')[0]}[{k + 1}])[None]"
                              for k in range(p.n_states)]
                    hx = f"({', '.join(states)})" if p.n_states == 2 else states[0]
                body += _torch_module_call(p, f"rnn_{p.var}", 0, [p], p.input_var, hx)
            body.append("")
    if cfg.stateful and view.decoder_timesteps is None:
        body.append("# stateful=True: PyTorch modules keep no state; Keras's layer carries its final "
                    "states into its next call: here they are (pass them as hx next time)")
        for p in parts:
            body += ["with torch.no_grad():",
                     f"    carried = {_steps_call(p, p.input_var, return_state=True)}"
                     f"[-{p.n_states * (2 if cfg.bidirectional else 1)}:]",
                     f"show({p.label!r}, {carried_names(p)!r}, carried)"]
    if view.decoder_timesteps is None:
        body += ["", *_torch_step_section(cfg, parts, current.x.shape, view)]
    return "\n".join(body) + "\n"


def _torch_step_section(cfg, parts: list[Part], shape, view: View) -> list[str]:
    part = parts[min(view.layer_index, len(parts) - 1)]
    text, step = _step_intro(cfg, part, view, shape[1])
    comment = ["# " + line.lstrip("# ") for line in text.splitlines()]
    rows = [f"    ({part.label + ' · ' + direction!r}, cells_{part.var}[{d}], {backwards}),"
            for d, (direction, _, backwards) in enumerate(part.directions())]
    return comment + [
        f"SAMPLE, STEP = {view.sample}, {step}",
        f"QUANTITIES = {QUANTITIES[cfg.cell]!r}",
        f"layer_in = torch.from_numpy({part.input_var})  # what {part.label} reads",
        "for where, cell, backwards in [",
        *rows,
        "]:",
        "    with torch.no_grad():",
        f"        zeros = [torch.zeros({shape[0]}, {cfg.units}) for _ in range({part.n_states})]  # h_0 (, c_0)",
        f"        _, final, before = torch_steps(cell, layer_in, zeros, "
        f"{'mask' if part.masked else 'None'}, backwards)",
        "        after = before[STEP + 1] if STEP + 1 < len(before) else final",
        "        t = layer_in.shape[1] - 1 - STEP if backwards else STEP  # the input index read",
        f"        gates = torch_gates({cfg.cell!r}, cell, layer_in[:, t], before[STEP][0])",
        "    values = {**gates, \"h\": after[0], \"c\": after[-1]}",
        "    show_step(where, {k: v.numpy() for k, v in values.items()}, QUANTITIES, SAMPLE, STEP)",
    ]




# --- the trace as data -----------------------------------------------------------------------------
def _one_trace(trace, prefix: str) -> tuple[dict, dict]:
    arrays, schema = {}, {}

    def put(name, array, meaning):
        arrays[prefix + name] = np.asarray(array)
        schema[prefix + name] = f"{tuple(np.shape(array))} {meaning}"

    put("timestep", trace.timestep, "(timesteps,) input index read at step k")
    put("h", trace.h, "(batch, timesteps, units) hidden state after step k")
    if trace.c is not None:
        put("c", trace.c, "(batch, timesteps, units) LSTM cell state after step k")
    for gate, values in trace.gates.items():
        put(f"gate_{gate}", values, f"(batch, timesteps, units) {gate} gate activation at step k")
    for gate, values in trace.pre_activations.items():
        put(f"pre_{gate}", values, f"(batch, timesteps, units) {gate} pre-activation at step k")
    for name, state in zip(("h0", "c0"), trace.initial_states):
        put(name, state, f"(batch, units) initial state {name[0]}_0")
    return arrays, schema


def trace_arrays(trace) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(name -> array, name -> "shape meaning"): x, then every step's states, gates and
    pre-activations (``forward_``/``backward_`` for Bidirectional), steps in processing order."""
    arrays = {"x": np.asarray(trace.directions[0].x)}
    schema = {"x": f"{arrays['x'].shape} (batch, timesteps, features) the input, time order"}
    if len(trace.directions) == 2:  # Bidirectional
        for prefix, one in (("forward_", trace.forward), ("backward_", trace.backward)):
            a, s = _one_trace(one, prefix)
            arrays.update(a)
            schema.update(s)
        if trace.merged is not None:
            arrays["merged"] = np.asarray(trace.merged)
            schema["merged"] = f"{trace.merged.shape} (batch, timesteps, merged units) time order"
    else:
        arrays_one, schema_one = _one_trace(trace, "")
        arrays.update(arrays_one)
        schema.update(schema_one)
    for k, out in enumerate(trace.outputs):
        arrays[f"output_{k}"] = np.asarray(out)
        schema[f"output_{k}"] = f"{np.shape(out)} the layer call's output {k}, Keras's order"
    return arrays, schema


def trace_npz(trace) -> bytes:
    """np.savez_compressed of the arrays, plus ``schema``: a JSON string naming each array."""
    arrays, schema = trace_arrays(trace)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, schema=np.array(json.dumps(schema, indent=1)))
    return buffer.getvalue()


def trace_json(trace, cfg=None) -> str:
    """{"schema": name -> "shape meaning", "config": the URL parameters, "arrays": name -> lists}."""
    arrays, schema = trace_arrays(trace)
    return json.dumps({"schema": schema, "config": None if cfg is None else cfg.to_query(),
                       "arrays": {name: a.tolist() for name, a in arrays.items()}})


CSV_SCHEMA = """# RNN Lab trace: one row per (direction, sample, step); steps k in processing order.
# direction: forward (or backward for Bidirectional's backward copy); timestep: input index read at k
# x_j: input feature j at that timestep; h_u (, c_u): state of unit u after step k
# gate_<name>_u / pre_<name>_u: gate activation / pre-activation of unit u at step k
# Read it with pandas.read_csv(path, comment="#")
"""


def trace_csv(trace) -> str:
    """The trace as a wide CSV table with the schema in ``#`` comment lines on top."""
    directions = list(zip(("forward", "backward"), trace.directions))
    first = directions[0][1]
    quantities = ["h"] + (["c"] if first.c is not None else []) + \
        [f"gate_{g}" for g in first.gates] + [f"pre_{g}" for g in first.pre_activations]
    features = first.x.shape[2]
    header = ["direction", "sample", "step", "timestep"] + [f"x_{j}" for j in range(features)] + \
        [f"{q}_{u}" for q in quantities for u in range(first.units)]
    lines = [CSV_SCHEMA.rstrip("\n"), ",".join(header)]
    for direction, t in directions:
        values = {"h": t.h, "c": t.c, **{f"gate_{g}": v for g, v in t.gates.items()},
                  **{f"pre_{g}": v for g, v in t.pre_activations.items()}}
        x_steps = t.x[:, t.timestep]  # (batch, timesteps, features), processing order
        block = np.concatenate([x_steps] + [values[q] for q in quantities], axis=2)  # (batch, T, cols)
        for b in range(block.shape[0]):
            for k in range(block.shape[1]):
                cells = [direction, str(b), str(k), str(int(t.timestep[k]))]
                lines.append(",".join(cells + [repr(float(v)) for v in block[b, k]]))
    return "\n".join(lines) + "\n"


# --- charts ----------------------------------------------------------------------------------------
def themed(layout: dict) -> dict:
    """The app's theme (static/chart/theme.json) as a Plotly template under the figure's own layout: what
    the chart component does in the browser (ui/js/chart.js), merged by plotly.js itself."""
    return {"template": {"layout": chart_module.THEME}, **layout}


def chart_html(fig: dict) -> str:
    """One chart as a standalone HTML page: plotly.js inlined from the plotly package, the figure
    exactly as the app sends it to the browser (``ui.runtime.chart.encode``: typed arrays kept).

    A step-through carries no frames, only their description (``fig["animation"]``): the page
    builds them with the app's own code (static/chart/frames.js, inlined) and shows the step the
    app showed, so ▶ Play and the slider work in the downloaded file as on the page."""
    encoded = json.loads(chart_module.encode(fig))
    animation = encoded.pop("animation", None)
    encoded["layout"] = themed(encoded.get("layout", {}))
    post_script = None
    if animation:
        post_script = chart_module.FRAMES.read_text(encoding="utf-8") + _PLAY_SCRIPT % (
            json.dumps(animation), animation["start"])
    return plotly.io.to_html(encoded, include_plotlyjs=True, full_html=True, validate=False,
                             auto_play=False, config=chart_module.CONFIG, post_script=post_script)


# After Plotly.newPlot: the frames from the description (the traces as plotly.js holds them)
# and the start step applied, as static/chart/chart.js does on the page.
_PLAY_SCRIPT = """
var gd = document.getElementById('{plot_id}');
var frames = rnnlabFrames.stepFrames({data: gd.data, animation: %s});
return Plotly.addFrames(gd, frames).then(function () {
  return Plotly.animate(gd, ['%d'], {mode: 'immediate', transition: {duration: 0},
                                     frame: {duration: 0, redraw: true}});
});
"""


def share_url(base: str | None, params: dict[str, str]) -> str:
    """The page's URL with its query string (the view's whole state)."""
    query = urlencode(params)
    return (base or "") + (f"?{query}" if query else "")


# --- Streamlit glue --------------------------------------------------------------------------------
CODE_KEYS = ("export_keras", "export_notebook", "export_torch")
TRACE_KEYS = ("export_csv", "export_npz", "export_json")


def files(cfg, current, view_: View = View(), charts: dict | None = None,
          link: str | None = None) -> list[tuple]:
    """[(key, file name, make bytes/str, mime, help)] for the panel (makers run on click)."""
    stem = file_stem(cfg, current.x) + ("_encdec" if view_.decoder_timesteps is not None else "")

    def trace_of(layer):
        return layer.trace(current.x)

    def with_fresh(build):  # a fresh layer: a stateful one must not carry the page's state
        return lambda: build(current.fresh_layer())

    out = [("export_keras", f"{stem}_keras.py", lambda: keras_script(cfg, current, view_, link),
            "text/x-python", "Keras code: the same input and weights (set_weights); prints the "
                             "page's numbers, the step in view included."),
           ("export_notebook", f"{stem}.ipynb", lambda: notebook(cfg, current, view_, link),
            "application/x-ipynb+json",
            "A Jupyter notebook that rebuilds this model in Keras and prints the same numbers.")]
    try:
        torch_convert.torch_kwargs(current.layer)
        out.append(("export_torch", f"{stem}_pytorch.py",
                    lambda: torch_script(cfg, current, view_, link), "text/x-python",
                    "torch.nn code with the weight conversion written out; prints the same numbers."))
    except ValueError as err:
        out.append(("export_torch", None, str(err), None, None))
    if view_.decoder_timesteps is None:
        out += [("export_csv", f"{stem}_trace.csv", with_fresh(lambda l: trace_csv(trace_of(l))),
                 "text/csv", "Every step's x, h, c, gates and pre-activations; schema in # lines."),
                ("export_npz", f"{stem}_trace.npz", with_fresh(lambda l: trace_npz(trace_of(l))),
                 "application/octet-stream", "NumPy arrays (np.load); the `schema` entry names them."),
                ("export_json", f"{stem}_trace.json",
                 with_fresh(lambda l: trace_json(trace_of(l), cfg)), "application/json",
                 "{schema, config, arrays}: the same arrays as nested lists.")]
    for key, fig in (charts or {}).items():
        out.append((f"export_chart_{key}", f"{stem}_{key}.html",
                    (lambda f=fig: chart_html(f)), "text/html",
                    "This chart as a standalone HTML file (plotly.js inside, works offline)."))
    return out


def view_of(decoder_timesteps: int | None = None) -> View:
    """The view the page is on, from session state (the URL's sample, layer_index and step)."""
    state = st.session_state
    return View(sample=int(state.get("sample", 0)), layer_index=int(state.get("layer_index", 0)),
                step=int(state.get("step", -1)), decoder_timesteps=decoder_timesteps)


def panel(cfg, current, charts: dict | None = None, decoder_timesteps: int | None = None) -> None:
    """A button that opens the downloads for this view: nothing is built before it is clicked,
    and its click reruns the page (or the view fragment that holds it, ``lab.view_fragment``) with
    the browser's URL, so the step the player is on is the step the exports print."""
    st.button("Take this view home: code, notebook, data, charts, link", key="exports_open",
              icon=":material/download:", on_click=_open,
              help="Builds the downloads for the view on screen (the step the player is on).")
    view_ = view_of(decoder_timesteps)
    shown = (cfg, view_.sample, view_.layer_index, view_.step_of(current.x.shape[1]),
             view_.decoder_timesteps)  # what the files print
    state = st.session_state
    if state.get(keys.EXPORTS_OPEN_FOR) is True:  # just clicked: open for this view
        state[keys.EXPORTS_OPEN_FOR] = shown
    if state.get(keys.EXPORTS_OPEN_FOR) == shown:  # stays open across reruns of the same view (status updates)
        _downloads(cfg, current, charts, decoder_timesteps)
    else:  # another configuration or step: closed, so no file describes a view not on screen
        state.pop(keys.EXPORTS_OPEN_FOR, None)




def _open() -> None:
    st.session_state[keys.EXPORTS_OPEN_FOR] = True


def _downloads(cfg, current, charts, decoder_timesteps) -> None:
    """The downloads, shown until the next rerun (st.dialog is not used: AppTest cannot see it)."""
    view_ = view_of(decoder_timesteps)
    link = share_url(st.context.url, st.query_params.to_dict())
    with st.container(key="exports", border=True):
        if decoder_timesteps is None:
            batch, timesteps, _ = current.x.shape
            st.caption(f"The code prints the model's outputs and step {view_.step_of(timesteps)} "
                       f"of sample {min(view_.sample, batch - 1)}"
                       + (f", layer {view_.layer_index + 1}" if cfg.layers > 1 else "")
                       + " (gates, states), labelled as on the page.")
        columns = st.columns(3)  # code and notebook | the trace as data | charts
        for key, name, make, mime, help_text in files(cfg, current, view_, charts, link):
            where = columns[0 if key in CODE_KEYS else 1 if key in TRACE_KEYS else 2]
            if name is None:  # no such file for this config: say why
                where.caption(f":material/block: PyTorch code: {make}")
                continue
            where.download_button(name, data=make, file_name=name, mime=mime, key=key,
                                  help=help_text, on_click="ignore", icon=":material/download:")
        st.caption("Share links: this exact view (configuration, step and page state)"
                   + (". An uploaded CSV does not travel in links." if cfg.preset == "csv" else "."))
        view.teacher_links(key="export_links")
