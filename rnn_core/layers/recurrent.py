"""SimpleRNN, LSTM and GRU with Keras 3's arguments, weight layout and outputs.

As in Keras, each *is* ``RNN`` over its cell: ``LSTM(n, return_sequences=True)`` builds an
``LSTMCell(n)`` from the cell's arguments and hands the rest to ``RNN``, whose loop runs it.
The cell's facts and arguments read through the layer (``lstm.units``, ``lstm.gate_names``).
"""
from __future__ import annotations

from .rnn import RNN
from .rnn_cells import SEQUENCE_ARGS, GRUCell, LSTMCell, SimpleRNNCell


def _from_cell(name):
    """A read-only layer attribute that is its cell's (as Keras's ``LSTM.units``)."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class RNNLayer(RNN):
    """``RNN(cell_class(...))`` built from one flat list of Keras layer arguments."""

    cell_class = SimpleRNNCell

    def __init__(self, units, **arguments):
        self._init_kwargs = dict(units=units, **arguments)  # what clone() rebuilds from
        sequence = {k: arguments.pop(k) for k in SEQUENCE_ARGS if k in arguments}
        name = arguments.pop("name", None)
        cell = self.cell_class(units, name=self.cell_class.keras_name, **arguments)
        super().__init__(cell, name=name, **sequence)
        self._init_kwargs.pop("name", None)

    # the cell's arguments and facts, read through the layer
    units = _from_cell("units")
    activation = _from_cell("activation")
    use_bias = _from_cell("use_bias")
    dropout = _from_cell("dropout")
    recurrent_dropout = _from_cell("recurrent_dropout")
    seed = _from_cell("seed")
    kernel_initializer = _from_cell("kernel_initializer")
    recurrent_initializer = _from_cell("recurrent_initializer")
    bias_initializer = _from_cell("bias_initializer")
    cell_name = _from_cell("cell_name")
    n_gates = _from_cell("n_gates")
    gate_names = _from_cell("gate_names")
    state_names = _from_cell("state_names")

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype.name}
        config.update(
            units=self.units, activation=self.activation, use_bias=self.use_bias,
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=self.stateful, dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout, unroll=self.unroll,
        )
        return config

    def clone(self, **overrides):
        """A fresh, unbuilt layer with the same constructor arguments (what Bidirectional uses)."""
        return type(self)(**{**self._init_kwargs, **overrides})


class SimpleRNN(RNNLayer):
    """Fully connected RNN: h_t = activation(x_t·W_x + h_(t−1)·W_h + b); RNN(SimpleRNNCell)."""

    keras_name = "simple_rnn"
    cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, seed=None, name=None, dtype="float32",
                 zero_output_for_mask=False, dropout=0.0, recurrent_dropout=0.0, unroll=False):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful,
                         seed=seed, name=name, dtype=dtype,
                         zero_output_for_mask=zero_output_for_mask, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, unroll=unroll)


class LSTM(RNNLayer):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), Keras gate order i, f, c, o;
    RNN(LSTMCell)."""

    keras_name = "lstm"
    cell_class = LSTMCell
    recurrent_activation = _from_cell("recurrent_activation")
    unit_forget_bias = _from_cell("unit_forget_bias")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, seed=None, name=None,
                 dtype="float32", zero_output_for_mask=False, dropout=0.0, recurrent_dropout=0.0,
                 unroll=False):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, seed=seed, name=name,
                         dtype=dtype, zero_output_for_mask=zero_output_for_mask, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, unroll=unroll)

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=self.recurrent_activation,
                      unit_forget_bias=self.unit_forget_bias)
        return config


class GRU(RNNLayer):
    """Gated recurrent unit (Cho et al., 2014), Keras gate order z, r, h; RNN(GRUCell)."""

    keras_name = "gru"
    cell_class = GRUCell
    recurrent_activation = _from_cell("recurrent_activation")
    reset_after = _from_cell("reset_after")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, reset_after=True, seed=None, name=None,
                 dtype="float32", zero_output_for_mask=False, dropout=0.0, recurrent_dropout=0.0,
                 unroll=False):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful,
                         reset_after=reset_after, seed=seed, name=name, dtype=dtype,
                         zero_output_for_mask=zero_output_for_mask, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, unroll=unroll)

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=self.recurrent_activation, reset_after=self.reset_after)
        return config
