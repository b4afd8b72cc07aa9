"""What ``layer.trace(x)`` returns: every step of a recurrent layer, recorded for the app."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Trace:
    """One recurrent layer run step by step. Steps k are in processing order (as Keras returns
    sequences, also with go_backwards); ``timestep[k]`` is the input index read at step k."""

    cell_name: str
    units: int
    x: np.ndarray                         # (batch, timesteps, features) in input order
    timestep: np.ndarray                  # (timesteps,) input index read at step k
    h: np.ndarray                         # (batch, timesteps, units) hidden state after step k
    c: np.ndarray | None                  # (batch, timesteps, units) LSTM carry after step k
    gates: dict[str, np.ndarray]          # gate -> (batch, timesteps, units) activation at step k
    pre_activations: dict[str, np.ndarray]  # gate -> (batch, timesteps, units) before activation
    initial_states: list[np.ndarray]      # [(batch, units)] h_0 (, c_0)
    mask: np.ndarray | None               # (batch, timesteps) bool, processing order
    outputs: list[np.ndarray]             # exactly what the layer call returns, as a list

    @property
    def timesteps(self) -> int:
        return self.h.shape[1]

    @property
    def directions(self) -> list[Trace]:
        """The runs over time: this one (a BidirectionalTrace has two)."""
        return [self]


@dataclass
class BidirectionalTrace:
    """Both directions of a Bidirectional layer; ``backward`` is in its own processing order
    (it reads x_{T-1} first), ``merged`` is back in time order as Keras returns it."""

    forward: Trace
    backward: Trace
    merge_mode: str | None
    merged: np.ndarray | None             # (batch, timesteps, merged_units) time order, or None
    outputs: list[np.ndarray]

    @property
    def directions(self) -> list[Trace]:
        return [self.forward, self.backward]


@dataclass
class StackedTrace:
    """``RNN([cell_1, cell_2, ...]).trace(x)``: one Trace per cell, bottom cell first.

    Cell k's ``x`` is the h sequence that cell k−1 handed up (in input order), and its
    ``outputs`` are what ``RNN(cell_k)`` alone returns on that x from its initial states, with the
    same flags; ``outputs`` here is exactly what the stacked call returns."""

    cells: list[Trace]
    outputs: list                         # [output, *one list of final states per cell]


@dataclass
class LayerTrace:
    """One layer of a ``Sequential.trace``: what went in, what came out, and (for a recurrent
    layer) every step. ``mask`` is the mask the layer received, ``output_mask`` the one it passed
    on (Keras: a recurrent layer passes its mask on only with return_sequences=True)."""

    name: str
    layer: object                         # the rnn_core layer itself
    x: np.ndarray                         # its input, e.g. (batch, timesteps, features)
    mask: np.ndarray | None               # (batch, timesteps) bool received, or None
    outputs: list                         # what the layer call returned, as a list
    output_mask: np.ndarray | None        # (batch, timesteps) bool passed on, or None
    trace: object | None                  # Trace | BidirectionalTrace | StackedTrace, or None


@dataclass
class SequentialTrace:
    """``Sequential.trace(x)``: one LayerTrace per layer, bottom first; ``output`` is exactly what
    ``model(x)`` returns. ``recurrent`` lists the recurrent layers' entries only."""

    layers: list[LayerTrace]
    output: np.ndarray

    @property
    def recurrent(self) -> list[LayerTrace]:
        return [t for t in self.layers if t.trace is not None]
