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

# Things that are not tensors get hues no tensor uses.
CELL = {"SimpleRNN": "#6f4e7c", "LSTM": "#0b7a75", "GRU": "#8a6d00"}
NUMPY = "#3b4cc0"        # our NumPy implementation (timings)
KERAS = "#b40426"        # TensorFlow/Keras (timings)
PASS = "#2ca02c"
FAIL = "#d62728"

# One line per unit: Okabe & Ito's colour-blind-safe qualitative palette (their yellow, unreadable
# on a white projector screen, replaced by grey), so units are told apart by hue, not by shade.
UNITS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]

# quantity name (as used in traces: "h", "c" or a gate name) -> colour
QUANTITY = {"x": X, "h": H, "c": C, "h forward": FORWARD, "h backward": BACKWARD, **GATE}

def _scale(colours: list[str]) -> list[list]:
    """Evenly spaced [position, colour] pairs: explicit, because figures skip Plotly's
    validation (which is what would expand a name like "RdBu_r")."""
    return [[i / (len(colours) - 1), c] for i, c in enumerate(colours)]


# values in [-1, 1], white at 0 (ColorBrewer RdBu, reversed: negative blue, positive red)
DIVERGING = _scale(["rgb(5,48,97)", "rgb(33,102,172)", "rgb(67,147,195)", "rgb(146,197,222)",
                    "rgb(209,229,240)", "rgb(247,247,247)", "rgb(253,219,199)",
                    "rgb(244,165,130)", "rgb(214,96,77)", "rgb(178,24,43)", "rgb(103,0,31)"])
# gate activations in [0, 1] (Viridis)
SEQUENTIAL = _scale(["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                     "#35b779", "#6ece58", "#b5de2b", "#fde725"])

# Bidirectional: which direction each colour means
DIRECTION = {"forward": FORWARD, "backward": BACKWARD, "merged": MERGED}


def colour(quantity: str) -> str:
    """Colour of a quantity ("h", "c", a gate name, "x"); grey for unknown names."""
    return QUANTITY.get(quantity, X)


def is_gate01(quantity: str) -> bool:
    """True for sigmoid gates (values in [0, 1]); False for tanh-like quantities."""
    return quantity in ("input", "forget", "output", "update", "reset")
