"""rnn_core: recurrent layers in pure NumPy that mirror Keras 3, step by step.

    from rnn_core import layers, initializers, Sequential
    lstm = layers.LSTM(3, return_sequences=True, return_state=True)
    seq, h, c = lstm(x)            # x: (batch, timesteps, features)
    trace = lstm.trace(x)          # every step's h, c and gate activations
    model = Sequential([layers.Masking(0.0), layers.GRU(4, return_sequences=True), layers.LSTM(3)])
    model.trace(x).recurrent       # every recurrent layer's trace, masks included

TensorFlow is imported only inside ``rnn_core.crosscheck``.
"""
from . import cells, initializers, layers
from .sequential import Sequential
from .trace import BidirectionalTrace, LayerTrace, SequentialTrace, Trace

__all__ = ["layers", "initializers", "cells", "Sequential", "Trace", "BidirectionalTrace",
           "LayerTrace", "SequentialTrace"]
