"""One colour per quantity, the same on every page.

Lines, bars and node borders use the quantity's colour; heatmaps use one diverging
scale for values that live in [-1, 1] (h_t, candidates, inputs) and one sequential
scale for sigmoid gates in [0, 1].
"""

X = "#7f7f7f"            # input x_t
H = "#1f77b4"            # hidden state h_t
C = "#ff7f0e"            # LSTM carry / cell state c_t
KERNEL = "#8c564b"       # kernel (input weights)
RECURRENT = "#e377c2"    # recurrent_kernel
BIAS = "#bcbd22"         # bias
FORWARD = H              # Bidirectional: forward direction
BACKWARD = "#17becf"     # Bidirectional: backward direction
MERGED = "#393b79"       # Bidirectional: merged output
HIGHLIGHT = "#d62728"    # "you are here": current step / current pattern
MUTED = "#c7c7c7"        # inactive parts of a diagram

GATE = {
    # LSTM
    "input": "#2ca02c",
    "forget": "#d62728",
    "candidate": "#9467bd",
    "output": "#17becf",
    # GRU (candidate shares its colour with LSTM's candidate: same role)
    "update": "#e6a800",
    "reset": "#f06bb0",
}

# quantity name (as used in traces: "h", "c" or a gate name) -> colour
QUANTITY = {"x": X, "h": H, "c": C, "h forward": FORWARD, "h backward": BACKWARD, **GATE}

DIVERGING = "RdBu_r"     # values in [-1, 1], white at 0
SEQUENTIAL = "Viridis"   # gate activations in [0, 1]

# Bidirectional: which direction each colour means
DIRECTION = {"forward": FORWARD, "backward": BACKWARD, "merged": MERGED}


def colour(quantity: str) -> str:
    """Colour of a quantity ("h", "c", a gate name, "x"); grey for unknown names."""
    return QUANTITY.get(quantity, X)


def is_gate01(quantity: str) -> bool:
    """True for sigmoid gates (values in [0, 1]); False for tanh-like quantities."""
    return quantity in ("input", "forget", "output", "update", "reset")
