"""Keras's Bidirectional wrapper: a forward copy and a go_backwards copy of one recurrent layer."""
from __future__ import annotations

import numpy as np

from .. import _checks
from ..trace import BidirectionalTrace
from .base import Layer
from .recurrent import RNNLayer

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def merge(y, y_rev, merge_mode):
    """Combine the two directions' outputs as Keras does (y_rev already in time order)."""
    if merge_mode == "concat":
        return np.concatenate([y, y_rev], axis=-1)  # (..., 2·units)
    if merge_mode == "sum":
        return y + y_rev
    if merge_mode == "ave":
        return (y + y_rev) / 2
    if merge_mode == "mul":
        return y * y_rev
    return [y, y_rev]


class Bidirectional(Layer):
    """Runs ``layer`` forwards and a reversed copy backwards, then merges the two outputs."""

    keras_name = "bidirectional"

    def __init__(self, layer, merge_mode="concat", backward_layer=None, name=None):
        if not isinstance(layer, RNNLayer):
            _checks.fail("layer", layer, "a recurrent layer (SimpleRNN, LSTM or GRU)")
        if backward_layer is not None and not isinstance(backward_layer, RNNLayer):
            _checks.fail("backward_layer", backward_layer, "a recurrent layer or None")
        _checks.one_of("merge_mode", merge_mode, MERGE_MODES)
        super().__init__(name=name, dtype=layer.dtype.name)
        # Like Keras: both directions are recreated from the config, with fresh weights.
        self.forward_layer = layer.clone(name=f"forward_{layer.name}")
        if backward_layer is None:
            seed = layer.seed if layer.seed is None else layer.seed + 1  # distinct weights
            self.backward_layer = layer.clone(name=f"backward_{layer.name}", go_backwards=True,
                                              seed=seed)
        else:
            self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            argument = "layer.go_backwards" if backward_layer is None else "backward_layer.go_backwards"
            _checks.fail(argument, self.forward_layer.go_backwards,
                         "the forward and backward layers to have different go_backwards values "
                         "(Keras refuses a forward layer with go_backwards=True)")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attr) != getattr(self.backward_layer, attr):
                _checks.fail(f"backward_layer.{attr}", getattr(self.backward_layer, attr),
                             f"{getattr(self.forward_layer, attr)}, the same as layer.{attr}")
        if merge_mode in ("sum", "mul", "ave") and self.backward_layer.units != self.forward_layer.units:
            _checks.fail("backward_layer.units", self.backward_layer.units,
                         f"{self.forward_layer.units} (the forward units) for merge_mode={merge_mode!r}")
        for direction in (self.forward_layer, self.backward_layer):
            direction.zero_output_for_mask = direction.return_sequences  # as Keras forces it
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful

    # --- delegation ----------------------------------------------------------------------------
    @property
    def directions(self):
        """The two runs over time: [forward_layer, backward_layer]."""
        return [self.forward_layer, self.backward_layer]

    def planned_params(self, input_shape):
        _checks.input_shape("input_shape", input_shape, rank=3)
        return sum(d.planned_params(input_shape) for d in self.directions)

    @property
    def units(self):
        return self.forward_layer.units

    @property
    def cell_name(self):
        return self.forward_layer.cell_name

    @property
    def input_dim(self):
        return self.forward_layer.input_dim

    @property
    def states(self):
        fw, bw = self.forward_layer.states, self.backward_layer.states
        return None if fw is None or bw is None else fw + bw

    def reset_state(self, states=None):
        half = None if states is None else len(states) // 2
        self.forward_layer.reset_state(None if states is None else states[:half])
        self.backward_layer.reset_state(None if states is None else states[half:])

    def build(self, input_shape):
        input_shape = _checks.input_shape("input_shape", input_shape, rank=3)
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        self.input_shape = input_shape
        self.built = True
        return self

    def weight_names(self):
        return ([f"forward_{n}" for n in self.forward_layer.weight_names()]
                + [f"backward_{n}" for n in self.backward_layer.weight_names()])

    def get_weights(self):
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights):
        if not self.built:
            _checks.fail("set_weights", "an unbuilt layer", "build(input_shape) or a call first")
        n_forward = len(self.forward_layer.weight_names())
        expected = n_forward + len(self.backward_layer.weight_names())
        if not isinstance(weights, (list, tuple)) or len(weights) != expected:
            _checks.fail("weights", f"{len(weights) if isinstance(weights, (list, tuple)) else weights!r} arrays",
                         f"a list of {expected} arrays: {', '.join(self.weight_names())}")
        self.forward_layer.set_weights(list(weights[:n_forward]))
        self.backward_layer.set_weights(list(weights[n_forward:]))

    def count_params(self):
        return self.forward_layer.count_params() + self.backward_layer.count_params()

    def param_terms(self):
        from dataclasses import replace
        return ([replace(t, name=f"forward_{t.name}", explanation="forward " + t.explanation)
                 for t in self.forward_layer.param_terms()]
                + [replace(t, name=f"backward_{t.name}", explanation="backward " + t.explanation)
                   for t in self.backward_layer.param_terms()])

    def _formula(self, symbolic):
        fw = self.forward_layer._formula(symbolic)
        bw = self.backward_layer._formula(symbolic)
        if fw == bw:
            return f"2 × ({fw})"
        return f"({fw}) + ({bw})"

    def get_config(self):
        config = super().get_config()
        config.update(merge_mode=self.merge_mode, layer=self.forward_layer.get_config(),
                      backward_layer=self.backward_layer.get_config())
        return config

    def compute_output_shape(self, input_shape):
        input_shape = _checks.input_shape("input_shape", input_shape, rank=3)
        fw = self.forward_layer.compute_output_shape(input_shape)
        bw = self.backward_layer.compute_output_shape(input_shape)
        (fw_out, *fw_states), (bw_out, *bw_states) = (fw, bw) if self.return_state else ([fw], [bw])
        if self.merge_mode is None:
            outputs = [fw_out, bw_out]
        elif self.merge_mode == "concat":
            outputs = [fw_out[:-1] + (fw_out[-1] + bw_out[-1],)]
        else:
            outputs = [fw_out]
        if not self.return_state:
            return outputs[0] if len(outputs) == 1 else outputs
        return outputs + fw_states + bw_states

    def output_names(self):
        names = ["forward_output", "backward_output"] if self.merge_mode is None else ["output"]
        if self.return_state:
            names += [f"forward_{s}" for s in self.forward_layer.state_names]
            names += [f"backward_{s}" for s in self.backward_layer.state_names]
        return names

    # --- running -------------------------------------------------------------------------------
    def _split_state(self, initial_state):
        if initial_state is None:
            return None, None
        n = len(self.forward_layer.state_names) + len(self.backward_layer.state_names)
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) != n:
            _checks.fail("initial_state", f"{len(initial_state)} arrays"
                         if isinstance(initial_state, (list, tuple)) else type(initial_state).__name__,
                         f"a list of {n} arrays: the forward states then the backward states")
        half = len(self.forward_layer.state_names)
        return list(initial_state[:half]), list(initial_state[half:])

    def _merge_outputs(self, y, y_rev):
        """Keras's order: merged output(s), then forward states, then backward states."""
        states = y[1:] + y_rev[1:]
        y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]  # back to time order
        merged = merge(y, y_rev, self.merge_mode)
        outputs = merged if self.merge_mode is None else [merged]
        return outputs + states

    def _run_both(self, x, initial_state, mask, method):
        fw_state, bw_state = self._split_state(initial_state)
        x = _checks.array("x", x, rank=3)
        if not self.built:
            self.build(((x.shape[0] if self.stateful else None),) + x.shape[1:])
        y = getattr(self.forward_layer, method)(x, initial_state=fw_state, mask=mask)
        y_rev = getattr(self.backward_layer, method)(x, initial_state=bw_state, mask=mask)
        return y, y_rev

    def call(self, x, initial_state=None, mask=None):
        """Returns what Keras returns: the merged output, or a list with the states."""
        y, y_rev = self._run_both(x, initial_state, mask, "_run_outputs")
        outputs = self._merge_outputs(y, y_rev)
        return outputs if (self.return_state or self.merge_mode is None) else outputs[0]

    def trace(self, x, initial_state=None, mask=None) -> BidirectionalTrace:
        """Both directions' traces plus the merged sequence in time order."""
        fw, bw = self._run_both(x, initial_state, mask, "trace")
        outputs = self._merge_outputs(fw.outputs, bw.outputs)
        merged = merge(fw.h, bw.h[:, ::-1], self.merge_mode) if self.merge_mode else None
        return BidirectionalTrace(forward=fw, backward=bw, merge_mode=self.merge_mode,
                                  merged=merged, outputs=outputs)
