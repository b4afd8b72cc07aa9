"""Every code export, run for every configuration of a matrix, prints Keras's numbers.

The Keras script, the notebook and the PyTorch script of each configuration are written to a
temporary directory and run in FRESH processes that cannot import the project (``python -I``,
cwd the temporary directory, no PYTHONPATH): one process runs every Keras script and notebook
(TensorFlow imported once), one every PyTorch script, each file in its own namespace. The
notebook's code cells run in order in one namespace, as a kernel runs them (nbclient is not
installed, and a kernel per notebook is too heavy for the 2-core CI machine).

What they print is parsed back (labels and numbers) and compared with Keras run HERE, by this
test: its own layers from the configuration, the page's weights, Keras's Masking, Keras's
own cell stepped by hand, whose gates are read from the activation calls Keras makes inside the
cell. Neither rnn_core's numbers nor the page's are used as expected values.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ui.classroom import exports
from ui.controls import inputs
from ui.controls.settings import Config
from ui.runtime import lab

View = exports.View
TOL = 2e-5  # 7 printed decimals, float32 arithmetic in two frameworks

CASES = {  # id -> (configuration, view): the matrix of the issue
    "lstm-step-middle": (Config(timesteps=7), View(sample=1, step=3)),
    "gru-sequences-states": (Config(cell="GRU", units=5, return_sequences=True, return_state=True),
                             View(step=4)),
    "simplernn-relu-backwards": (Config(cell="SimpleRNN", units=4, activation="relu",
                                        go_backwards=True, return_sequences=True), View(step=2)),
    "bilstm-concat-states": (Config(bidirectional=True, return_state=True, units=4), View(step=5)),
    "bigru-sum": (Config(cell="GRU", bidirectional=True, merge_mode="sum", units=3,
                         return_sequences=True), View(sample=1, step=1)),
    "bisimplernn-mul": (Config(cell="SimpleRNN", bidirectional=True, merge_mode="mul", units=3),
                        View(step=0)),
    "bilstm-ave-seq": (Config(bidirectional=True, merge_mode="ave", units=3, return_sequences=True,
                              timesteps=5), View(step=2)),
    "bigru-none-states": (Config(cell="GRU", bidirectional=True, merge_mode="None", units=3,
                                 return_state=True, return_sequences=True), View(step=6)),
    "lstm-stateful": (Config(stateful=True, batch_size=3, units=4, return_state=True),
                      View(sample=2, step=4)),
    "lstm-lengths": (Config(lengths="3,5", return_sequences=True), View(sample=0, step=4)),
    "gru-lengths-backwards": (Config(cell="GRU", lengths="3,5", go_backwards=True, units=4,
                                     return_sequences=True), View(sample=0, step=8)),
    "bilstm-lengths-states": (Config(bidirectional=True, lengths="4,2", units=3, timesteps=6,
                                     return_state=True, return_sequences=True), View(sample=1, step=1)),
    "lstm-2-layers-lengths": (Config(layers=2, lengths="3,5", return_sequences=True),
                              View(sample=0, layer_index=1, step=4)),
    "gru-2-layers-stateful": (Config(cell="GRU", layers=2, stateful=True, units=4,
                                     return_state=True), View(layer_index=1, step=3)),
    "bigru-3-layers-concat": (Config(cell="GRU", layers=3, bidirectional=True, units=3,
                                     return_sequences=True, timesteps=5), View(layer_index=2, step=2)),
    "bilstm-2-layers-sum": (Config(layers=2, bidirectional=True, merge_mode="sum", units=3,
                                   timesteps=5), View(layer_index=1, step=3)),
    "bigru-2-layers-lengths": (Config(cell="GRU", layers=2, bidirectional=True, lengths="2,6",
                                      units=3, timesteps=6, return_sequences=True),
                               View(sample=0, layer_index=1, step=3)),
    "simplernn-3-layers-backwards": (Config(cell="SimpleRNN", layers=3, go_backwards=True,
                                            units=3, timesteps=5, return_state=True),
                                     View(layer_index=1, step=1)),
    "lstm-sine": (Config(preset="sine", units=3), View(step=5)),
    "gru-word": (Config(cell="GRU", preset="word", batch_size=1, timesteps=7, input_dim=5,
                        units=4), View(step=3)),
    "lstm-train_X-constant": (Config(preset="train_X", batch_size=1, timesteps=4, input_dim=5,
                                     init="constant", units=3, return_state=True), View(step=2)),
    "gru-reset-before": (Config(cell="GRU", reset_after=False, units=3, return_sequences=True),
                         View(step=2)),  # PyTorch has no equivalent: Keras exports only
    "lstm-base64": (Config(units=40, input_dim=60, timesteps=3, seed=5), View(step=1)),
    "encdec-lstm-lengths": (Config(lengths="3,5", units=4, return_sequences=True),
                            View(decoder_timesteps=4)),
    "encdec-gru": (Config(cell="GRU", units=3), View(decoder_timesteps=5)),
}

RUNNER = r'''
import contextlib, io, json, runpy, sys, traceback
paths, out_path = json.loads(sys.argv[1]), sys.argv[2]
try:
    import rnn_core  # noqa: F401
    isolated = False
except ImportError:
    isolated = True
runs = {}
for path in paths:
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            if path.endswith(".ipynb"):  # the code cells in order, in one namespace
                with open(path, encoding="utf-8") as f:
                    cells = json.load(f)["cells"]
                code = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
                exec(compile(code, path, "exec"), {"__name__": "__main__"})
            else:
                runpy.run_path(path, run_name="__main__")
        runs[path] = {"stdout": printed.getvalue()}
    except BaseException:
        runs[path] = {"stdout": printed.getvalue(), "error": traceback.format_exc()}
with open(out_path, "w", encoding="utf-8") as f:
    json.dump({"isolated": isolated, "runs": runs}, f)
'''


def lab_for(cfg: Config) -> lab.Lab:
    return lab.Lab(cfg, lab.build_model(cfg), lab.pad(inputs.make_input(cfg), cfg.valid_lengths()))


def start(tmp: Path, name: str, paths: list[Path]) -> tuple[subprocess.Popen, Path]:
    """One fresh interpreter for ``paths``: isolated (-I: no PYTHONPATH, no user site, the
    script's directory not on sys.path), cwd the temporary directory, the venv's packages only."""
    runner, out = tmp / f"run_{name}.py", tmp / f"{name}.json"
    runner.write_text(RUNNER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow", PYTHONIOENCODING="utf-8")
    process = subprocess.Popen([sys.executable, "-I", str(runner), json.dumps([str(p) for p in paths]),
                                str(out)], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    return process, out


def finish(process: subprocess.Popen, out: Path) -> dict:
    _, stderr = process.communicate(timeout=1200)
    assert process.returncode == 0, stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["isolated"], "the export runner could import rnn_core: the project leaked in"
    return result["runs"]


# --- what an export printed ----------------------------------------------------------------------
HEADER = re.compile(r"^(layer \d+|encoder|decoder) (\w+) \(([\d, ]*)\):$")
STEP = re.compile(r"^(.+?) \((.+?)\) · sample (\d+) · (layer \d+) · (forward|backward) · "
                  r"step (\d+) · unit (\d+) = (\S+)$")
KEY = {label: key for quantities in exports.QUANTITIES.values() for key, label in quantities}


def parse(printed: str) -> tuple[dict, dict]:
    """({(where, name): array}, {(quantity, sample, layer, direction, step, unit): value})."""
    arrays, steps, current, rows = {}, {}, None, []

    def close():
        if current is not None:
            (where, name), shape = current
            values = np.array(" ".join(rows).replace("[", " ").replace("]", " ").split(), float)
            arrays[(where, name)] = values.reshape(shape)

    for line in printed.splitlines():
        header, step = HEADER.match(line), STEP.match(line)
        if header or step:
            close()
            current, rows = None, []
        if header:
            shape = tuple(int(d) for d in header.group(3).replace(",", " ").split())
            current = ((header.group(1), header.group(2)), shape)
        elif step:
            symbol, name, sample, layer, direction, k, unit, value = step.groups()
            key = KEY[f"{symbol} ({name})"]
            steps[(key, int(sample), layer, direction, int(k), int(unit))] = float(value)
        elif current is not None:
            rows.append(line)
    close()
    return arrays, steps


# --- Keras, run by this test ---------------------------------------------------------------------
def keras_layer(keras, cfg: Config, **flags):
    """The Keras layer for ``cfg`` with ``flags``, written here from the configuration."""
    kwargs = dict(activation=cfg.activation, use_bias=cfg.use_bias, go_backwards=cfg.go_backwards,
                  stateful=cfg.stateful, **flags)
    if cfg.cell != "SimpleRNN":
        kwargs["recurrent_activation"] = cfg.recurrent_activation
    if cfg.cell == "GRU":
        kwargs["reset_after"] = cfg.reset_after
    layer = getattr(keras.layers, cfg.cell)(cfg.units, **kwargs)
    return keras.layers.Bidirectional(layer, merge_mode=cfg.merge) if cfg.bidirectional else layer


def numpy_list(keras, outputs) -> list[np.ndarray]:
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in outputs]


def cell_at_step(keras, cell, x_in, mask, backwards: bool, step: int, n_states: int) -> dict:
    """Keras's own cell stepped by hand up to ``step`` (padded steps keep the states, as
    Keras's RNN does); at ``step`` its gates are read from the activation calls the cell makes."""
    calls = {"activation": [], "recurrent_activation": []}
    originals = {name: getattr(cell, name, None) for name in calls}

    def recording(name):
        def record(z):
            value = originals[name](z)
            calls[name].append(np.asarray(keras.ops.convert_to_numpy(value)))
            return value
        return record

    for name in calls:
        if originals[name] is not None:
            setattr(cell, name, recording(name))
    batch, timesteps, _ = x_in.shape
    states = [np.zeros((batch, cell.units), np.float32) for _ in range(n_states)]
    try:
        for k in range(step + 1):
            t = timesteps - 1 - k if backwards else k
            for c in calls.values():
                c.clear()
            _, new = cell(x_in[:, t], states)
            new = numpy_list(keras, new)
            real = np.ones((batch, 1), bool) if mask is None else mask[:, t, None]  # (batch, 1)
            states = [np.where(real, n, s) for n, s in zip(new, states)]
    finally:
        for name, fn in originals.items():
            if fn is not None:
                setattr(cell, name, fn)
    rec, act = calls["recurrent_activation"], calls["activation"]
    gates = {"LSTM": lambda: {"input": rec[0], "forget": rec[1], "candidate": act[0], "output": rec[2]},
             "GRU": lambda: {"update": rec[0], "reset": rec[1], "candidate": act[0]},
             "SimpleRNN": dict}[type(cell).__name__.removesuffix("Cell")]()
    return {**gates, "h": states[0], **({"c": states[1]} if n_states == 2 else {})}


def keras_expected(keras, cfg: Config, view: View, current: lab.Lab) -> tuple[dict, dict, set]:
    """What the page shows, computed by Keras: ({(where, name): array}, {step key: value},
    the output keys every export must print)."""
    x = current.x
    mask_tensor = keras.layers.Masking(0.0).compute_mask(x) if cfg.lengths else None
    mask = None if mask_tensor is None else np.asarray(keras.ops.convert_to_numpy(mask_tensor))
    arrays, must = {}, set()
    if view.decoder_timesteps is not None:
        encoder_rc, decoder_rc = lab.encoder_decoder(cfg)
        y = inputs.decoder_input(cfg, view.decoder_timesteps)
        plain = dataclasses.replace(cfg, bidirectional=False, go_backwards=False, stateful=False)
        encoder = keras_layer(keras, plain, return_sequences=False, return_state=True)
        decoder = keras_layer(keras, plain, return_sequences=cfg.return_sequences)
        encoder.build(x.shape)
        decoder.build(y.shape)
        encoder_rc.build(x.shape)
        decoder_rc.build(y.shape)
        encoder.set_weights(encoder_rc.get_weights())
        decoder.set_weights(decoder_rc.get_weights())
        enc = numpy_list(keras, encoder(x, mask=mask_tensor))
        dec = numpy_list(keras, decoder(y, initial_state=enc[1:]))
        names = ["encoder_output", "state_h", "state_c"][:len(enc)]
        arrays.update({("encoder", n): a for n, a in zip(names, enc)})
        arrays[("decoder", "decoder_output")] = dec[0]
        return arrays, {}, set(arrays)
    stack = current.stack
    h, inputs_of, built = x, [], []
    for i, rc in enumerate(stack):
        top = i == len(stack) - 1
        layer = keras_layer(keras, cfg, return_sequences=cfg.return_sequences if top else True,
                            return_state=cfg.return_state and top)
        layer.build(h.shape)
        layer.set_weights(rc.get_weights())
        inputs_of.append(h)
        outs = numpy_list(keras, layer(h, mask=mask_tensor))
        label = f"layer {i + 1}"
        arrays.update({(label, n): a for n, a in zip(rc.output_names(), outs)})
        if top:
            must |= {(label, n) for n in rc.output_names()}
        if cfg.stateful:
            directions = [layer.forward_layer, layer.backward_layer] if cfg.bidirectional else [layer]
            names = ["carried_h", "carried_c"][:2 if cfg.cell == "LSTM" else 1]
            carried = [s for d in directions for s in numpy_list(keras, list(d.states))]
            names = ([f"{d}_{n}" for d in ("forward", "backward") for n in names]
                     if cfg.bidirectional else names)
            arrays.update({(label, n): a for n, a in zip(names, carried)})
            must |= {(label, n) for n in names}
        built.append(layer)
        h = outs[0]
    # the step in view
    index = min(view.layer_index, len(stack) - 1)
    layer, step = built[index], view.step_of(x.shape[1])
    directions = ([("forward", layer.forward_layer), ("backward", layer.backward_layer)]
                  if cfg.bidirectional else [("backward" if cfg.go_backwards else "forward", layer)])
    steps = {}
    for direction, one in directions:
        values = cell_at_step(keras, one.cell, inputs_of[index], mask, one.go_backwards, step,
                              2 if cfg.cell == "LSTM" else 1)
        for key, v in values.items():
            for unit, value in enumerate(v[view.sample]):
                steps[(key, view.sample, f"layer {index + 1}", direction, step, unit)] = float(value)
    return arrays, steps, must


# --- the fixture: write, run, compute --------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(keras, torch, tmp_path_factory):
    """{case: {kind: (printed arrays, printed steps, error)}} and {case: Keras's numbers}."""
    tmp = tmp_path_factory.mktemp("exports")
    files, currents = {"keras": [], "torch": []}, {}
    for case, (cfg, view) in CASES.items():
        current = currents[case] = lab_for(cfg)
        (tmp / f"{case}_keras.py").write_text(exports.keras_script(cfg, current, view), "utf-8")
        (tmp / f"{case}.ipynb").write_text(exports.notebook(cfg, current, view), "utf-8")
        files["keras"] += [tmp / f"{case}_keras.py", tmp / f"{case}.ipynb"]
        try:
            (tmp / f"{case}_torch.py").write_text(exports.torch_script(cfg, current, view), "utf-8")
            files["torch"].append(tmp / f"{case}_torch.py")
        except ValueError:
            assert case == "gru-reset-before"  # the one config PyTorch cannot express
    processes = {kind: start(tmp, kind, paths) for kind, paths in files.items()}  # both run now
    expected = {case: keras_expected(keras, cfg, view, currents[case])  # ... while Keras runs here
                for case, (cfg, view) in CASES.items()}
    printed = {}
    for kind, (process, out) in processes.items():
        for path, result in finish(process, out).items():
            printed[Path(path).name] = result
    return printed, expected


KINDS = {"keras": "{}_keras.py", "notebook": "{}.ipynb", "torch": "{}_torch.py"}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("case", list(CASES))
def test_export_prints_keras_numbers(runs, case, kind):
    printed, expected = runs
    cfg, view = CASES[case]
    name = KINDS[kind].format(case)
    if kind == "torch" and name not in printed:
        assert case == "gru-reset-before"
        return
    result = printed[name]
    assert "error" not in result, result.get("error")
    arrays, steps = parse(result["stdout"])
    want_arrays, want_steps, must = expected[case]
    # every output the page's model returns (the top layer's, at least; Keras: every layer's)
    required = set(want_arrays) if kind != "torch" else must
    assert required <= set(arrays), f"not printed: {sorted(required - set(arrays))}"
    for key, got in arrays.items():
        assert key in want_arrays, f"printed {key}, which Keras's model does not return"
        np.testing.assert_allclose(got, want_arrays[key], atol=TOL, rtol=0, err_msg=str(key))
    # the step in view: every gate, c_t and h_t of every unit and direction, under its label
    assert set(steps) == set(want_steps), (sorted(set(want_steps) - set(steps))[:5],
                                           sorted(set(steps) - set(want_steps))[:5])
    for key, value in steps.items():
        assert abs(value - want_steps[key]) <= TOL, (key, value, want_steps[key])


def test_the_matrix_covers_the_issue():
    cfgs = [cfg for cfg, _ in CASES.values()]
    assert {c.cell for c in cfgs} == {"SimpleRNN", "LSTM", "GRU"}
    assert {c.merge_mode for c in cfgs if c.bidirectional} == {"concat", "sum", "mul", "ave", "None"}
    assert {c.layers for c in cfgs} == {1, 2, 3}
    assert {c.preset for c in cfgs} >= {"random", "sine", "word", "train_X"}
    assert any(c.go_backwards for c in cfgs) and any(c.stateful for c in cfgs)
    assert any(c.lengths for c in cfgs) and any(v.decoder_timesteps for _, v in CASES.values())
    assert any(0 < v.step < c.timesteps - 1 for c, v in CASES.values())


def test_exports_say_how_and_why():
    """Masking in the Keras code; PyTorch says why it loops or splits a stack."""
    cfg, view = CASES["lstm-2-layers-lengths"]
    current = lab_for(cfg)
    code = exports.keras_script(cfg, current, view)
    assert "keras.layers.Masking(0.0)" in code and "mask=mask" in code
    torch_code = exports.torch_script(cfg, current, view)
    assert "pack_padded_sequence would not print Keras's numbers" in torch_code
    cfg = Config(layers=2, bidirectional=True)
    torch_code = exports.torch_script(cfg, lab_for(cfg), View())
    assert "torch.nn.LSTM(input_size=4, hidden_size=8, num_layers=2" in torch_code
    cfg = Config(layers=2, bidirectional=True, merge_mode="sum")
    torch_code = exports.torch_script(cfg, lab_for(cfg), View())
    assert "num_layers=1" in torch_code and "Keras merges them first" in torch_code
