"""Keras-3-style layers: ``from rnn_core import layers; layers.LSTM(8, return_sequences=True)``."""
from .base import Layer, ParamTerm
from .bidirectional import Bidirectional
from .core import Dense, Embedding, Masking, TimeDistributed
from .recurrent import GRU, LSTM, RNNLayer, SimpleRNN
from .rnn import RNN, StackedRNNCells
from .rnn_cells import Cell, GRUCell, LSTMCell, SimpleRNNCell

__all__ = ["Layer", "ParamTerm", "RNNLayer", "SimpleRNN", "LSTM", "GRU", "Bidirectional",
           "Cell", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN",
           "Embedding", "Dense", "TimeDistributed", "Masking"]
