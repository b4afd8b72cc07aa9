"""Keras-3-style layers: ``from rnn_core import layers; layers.LSTM(8, return_sequences=True)``."""
from .base import Layer, ParamTerm, keras_name
from .bidirectional import Bidirectional
from .core import Dense, Embedding, Masking, TimeDistributed
from .recurrent import GRU, LSTM, RNNLayer, SimpleRNN
from .rnn import RNN, StackedRNNCells
from .rnn_cells import CELL_CLASS, CELL_CLASSES, CELLS, Cell, GRUCell, LSTMCell, SimpleRNNCell

__all__ = ["Layer", "ParamTerm", "RNNLayer", "SimpleRNN", "LSTM", "GRU", "Bidirectional",
           "Cell", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN",
           "Embedding", "Dense", "TimeDistributed", "Masking", "CELLS", "CELL_CLASSES", "CELL_CLASS",
           "keras_name"]
