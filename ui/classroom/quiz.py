"""Predict-the-shape quiz (pure: no Streamlit). A seed and a level fix ten questions; answers are
parsed leniently; a wrong answer is explained by the rule it broke, naming the flag responsible.

Expected answers come from rnn_core: the layers' ``compute_output_shape`` and a ``Sequential``
stack's ``count_params`` (tests/test_quiz.py checks them against real Keras).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from rnn_core import Sequential, layers, sequential

N_QUESTIONS = 10
LEVELS = {1: "1 · one layer", 2: "2 · Bidirectional and merge modes", 3: "3 · stacks of 1–3 layers"}
CELLS = layers.CELLS
MERGES = ("concat", "sum", "mul", "ave", None)
STATE_NAMES = {"SimpleRNN": "h", "LSTM": "h then c", "GRU": "h"}


class AnswerError(ValueError):
    """An answer that cannot be read; the message says what was expected."""


# --- questions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerSpec:
    """One recurrent layer of a question, with the flags that decide its shapes and count."""
    cell: str
    units: int
    return_sequences: bool = False
    return_state: bool = False
    bidirectional: bool = False
    merge_mode: str | None = "concat"
    use_bias: bool = True
    reset_after: bool = True  # GRU only

    def layer(self):
        """The unbuilt rnn_core layer."""
        kwargs = dict(return_sequences=self.return_sequences, return_state=self.return_state,
                      use_bias=self.use_bias, seed=0)
        if self.cell == "GRU":
            kwargs["reset_after"] = self.reset_after
        layer = getattr(layers, self.cell)(self.units, **kwargs)
        return layers.Bidirectional(layer, merge_mode=self.merge_mode) if self.bidirectional else layer

    def code(self) -> str:
        """The layer in Keras's spelling (arguments at Keras's defaults left out)."""
        args = [str(self.units)]
        args += [f"{flag}=True" for flag in ("return_sequences", "return_state") if getattr(self, flag)]
        if not self.use_bias:
            args.append("use_bias=False")
        if self.cell == "GRU" and not self.reset_after:
            args.append("reset_after=False")
        text = f"layers.{self.cell}({', '.join(args)})"
        if not self.bidirectional:
            return text
        merge = "" if self.merge_mode == "concat" else f", merge_mode={self.merge_mode!r}"
        return f"layers.Bidirectional({text}{merge})"


@dataclass(frozen=True)
class Question:
    number: int                  # 0-based position in the set
    level: int
    batch: int | None            # None: keras.Input without batch_size
    timesteps: int
    input_dim: int
    specs: tuple[LayerSpec, ...]

    @property
    def input_shape(self) -> tuple:
        return (self.batch, self.timesteps, self.input_dim)

    @property
    def top(self) -> LayerSpec:
        return self.specs[-1]

    def model(self) -> Sequential:
        """The rnn_core stack, built for the question's input."""
        return Sequential([spec.layer() for spec in self.specs]).build(self.input_shape)

    def expected_shapes(self) -> list[tuple]:
        """Every tensor the last layer returns, in Keras's order (rnn_core's shapes)."""
        shapes = self.model().summary_rows()[-1]["output_shape"]
        return list(shapes) if isinstance(shapes, list) else [shapes]

    def output_names(self) -> list[str]:
        return self.model().layers[-1].output_names()

    def expected_params(self) -> int:
        return self.model().count_params()

    def code(self) -> str:
        """The Keras snippet the question shows."""
        batch = "" if self.batch is None else f", batch_size={self.batch}"
        comment = "  # batch unknown: None" if self.batch is None else ""
        lines = [f"inputs = keras.Input(shape=({self.timesteps}, {self.input_dim}){batch}){comment}"]
        previous = "inputs"
        for i, spec in enumerate(self.specs):
            name = "outputs" if i == len(self.specs) - 1 else f"h{i + 1}"
            lines.append(f"{name} = {spec.code()}({previous})")
            previous = name
        lines.append("model = keras.Model(inputs, outputs)")
        return "\n".join(lines)


def question(seed: int, level: int, number: int) -> Question:
    """Question ``number`` of the set fixed by (seed, level): the same everywhere, every time."""
    if level not in LEVELS:
        raise ValueError(f"level: got {level!r}, expected one of {', '.join(map(str, LEVELS))}")
    if not 0 <= number < N_QUESTIONS:
        raise ValueError(f"number: got {number!r}, expected 0 to {N_QUESTIONS - 1}")
    rng = np.random.default_rng([int(seed) % 2**32, level, number])
    coin = lambda p: bool(rng.random() < p)  # noqa: E731  (a Bernoulli draw, read aloud)
    cell = lambda: str(rng.choice(CELLS))    # noqa: E731
    units = lambda: int(rng.integers(2, 17))  # noqa: E731
    batch = int(rng.integers(1, 9))
    timesteps, input_dim = int(rng.integers(3, 13)), int(rng.integers(2, 11))
    if level == 1:
        specs = [LayerSpec(cell(), units(), coin(0.5), coin(0.5))]
    elif level == 2:
        batch = None if coin(0.4) else batch
        kind = cell()
        specs = [LayerSpec(kind, units(), coin(0.5), coin(0.5), bidirectional=coin(0.8),
                           merge_mode=MERGES[int(rng.integers(len(MERGES)))],
                           reset_after=not (kind == "GRU" and coin(0.4)))]
    else:
        batch = None if coin(0.5) else batch
        depth = int(rng.choice([1, 2, 3], p=[0.2, 0.4, 0.4]))
        specs = []
        for i in range(depth):
            top = i == depth - 1
            kind = cell()
            merges = MERGES if top else MERGES[:-1]  # merge_mode=None cannot feed a next layer
            specs.append(LayerSpec(kind, units(), return_sequences=coin(0.5) if top else True,
                                   return_state=top and coin(0.5), bidirectional=coin(0.4),
                                   merge_mode=merges[int(rng.integers(len(merges)))],
                                   use_bias=not coin(0.15),
                                   reset_after=not (kind == "GRU" and coin(0.3))))
    return Question(number, level, batch, timesteps, input_dim, tuple(specs))


def question_set(seed: int, level: int) -> list[Question]:
    return [question(seed, level, n) for n in range(N_QUESTIONS)]


# --- parsing -------------------------------------------------------------------------------------
def answer_lines(seed: int, level: int) -> int:
    """How many lines the answer box shows for the set (seed, level): its longest answer, so no
    answer scrolls, and the box is the same for every question of the set (its size must not
    tell how many tensors this question returns)."""
    return max(len(q.expected_shapes()) for q in question_set(seed, level))


_GROUP = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_SHAPE_HELP = ("whole numbers separated by commas, like (2, 5, 8), 2,5,8 or [2, 5, 8], with None "
               "for an unknown batch; several shapes one per line")


def _dims(piece: str, where: str) -> tuple:
    items = [s.strip() for s in re.split(r"[,\s]+", piece.strip()) if s.strip()]
    if not items:
        raise AnswerError(f"{where} is empty: expected {_SHAPE_HELP}.")
    dims = []
    for item in items:
        if item.lower() == "none":
            dims.append(None)
        elif item.isdigit():
            dims.append(int(item))
        else:
            raise AnswerError(f"{where}: {item!r} is not a size: expected {_SHAPE_HELP}.")
    return tuple(dims)


def parse_shapes(text: str) -> list[tuple]:
    """The shapes in an answer: ``(2, 5, 8)``, ``2,5,8``, ``[2, 5, 8]``, ``[(2, 8), (2, 8)]``,
    one per line, ``None`` for a batch; AnswerError saying what was expected otherwise."""
    text = (text or "").strip()
    if not text:
        raise AnswerError(f"No shapes yet: expected {_SHAPE_HELP}.")
    groups = _GROUP.findall(text)
    if groups:
        rest = _GROUP.sub(" ", text)
        if re.sub(r"[\s,;()\[\]]", "", rest):  # something outside the brackets
            raise AnswerError(f"Found text outside the brackets: expected {_SHAPE_HELP}.")
        pieces = groups
    else:
        pieces = [p for p in re.split(r"[\n;]", text) if p.strip()]
    return [_dims(piece, f"Shape {i + 1}" if len(pieces) > 1 else "The shape")
            for i, piece in enumerate(pieces)]


def parse_count(text: str) -> int:
    """A parameter count: ``1234``, ``1,234``, ``1 234`` or ``1_234``."""
    cleaned = re.sub(r"[\s,_']", "", (text or "").strip())
    if not cleaned.isdigit():
        raise AnswerError("The parameter count should be a whole number, like 1234 or 1,234.")
    return int(cleaned)


# --- checking ------------------------------------------------------------------------------------
@dataclass
class Result:
    shapes_ok: bool
    params_ok: bool
    expected_shapes: list[tuple]
    expected_params: int
    names: list[str]
    shape_rules: list[str] = field(default_factory=list)   # why the shapes are wrong
    param_rules: list[str] = field(default_factory=list)   # why the count is wrong

    @property
    def points(self) -> int:
        return int(self.shapes_ok) + int(self.params_ok)


def check(q: Question, shapes_text: str, params_text: str) -> Result:
    """Grade both answers; AnswerError (nothing graded) if either cannot be read."""
    answer_shapes, answer_params = parse_shapes(shapes_text), parse_count(params_text)
    expected, params = q.expected_shapes(), q.expected_params()
    result = Result(answer_shapes == expected, answer_params == params, expected, params,
                    q.output_names())
    if not result.shapes_ok:
        result.shape_rules = shape_rules(q, answer_shapes)
    if not result.params_ok:
        result.param_rules = param_rules(q, answer_params)
    return result


def _n_outputs(spec: LayerSpec) -> int:
    return 2 if spec.bidirectional and spec.merge_mode is None else 1


def shape_rules(q: Question, answer: list[tuple]) -> list[str]:
    """The rules a wrong list of shapes broke, each naming the flag responsible."""
    top, expected, names = q.top, q.expected_shapes(), q.output_names()
    rules = []
    n_out = _n_outputs(top)
    if len(answer) != len(expected):
        if top.bidirectional and top.merge_mode is None and len(answer) < len(expected):
            rules.append("merge_mode=None: the two directions come back as two separate outputs "
                         "(forward, then backward), before any state.")
        if top.return_state:
            states = STATE_NAMES[top.cell]
            who = " — the forward direction's, then the backward's" if top.bidirectional else ""
            rules.append(f"return_state=True: the final state(s) follow the output ({states}"
                         f"{who}).")
        elif len(answer) > len(expected):
            rules.append("return_state=False: no states come back, only the output.")
        rules.append(f"Keras returns {len(expected)} tensor{'s' if len(expected) > 1 else ''} "
                     f"here: {', '.join(names)}.")
    units = top.units
    for i, (a, e) in enumerate(zip(answer, expected)):
        is_output = i < n_out
        what = f"{names[i]} (tensor {i + 1})"
        if len(a) != len(e):
            if not is_output:
                rules.append(f"{what}: a final state is one vector per sample, (batch, units), "
                             "whatever return_sequences says.")
            elif top.return_sequences:
                rules.append(f"{what}: return_sequences=True: the output keeps every step's h, "
                             "shape (batch, timesteps, units).")
            else:
                rules.append(f"{what}: return_sequences=False: the output is only the last step's "
                             "h, shape (batch, units).")
            continue
        if a[0] != e[0]:
            rules.append(f"{what}: the batch passes through unchanged: " + (
                "here it is None (keras.Input without batch_size), so every output starts with None."
                if e[0] is None else f"{e[0]}, from batch_size={e[0]}."))
        if len(e) == 3 and a[1] != e[1]:
            rules.append(f"{what}: return_sequences=True keeps one h_t per timestep: "
                         f"{e[1]} steps.")
        if a[-1] != e[-1]:
            if is_output and top.bidirectional and top.merge_mode == "concat" and a[-1] == units:
                rules.append(f"{what}: merge_mode='concat' joins the two directions on the last "
                             f"axis: 2 × {units} = {2 * units}.")
            elif is_output and top.bidirectional and top.merge_mode in ("sum", "mul", "ave"):
                rules.append(f"{what}: merge_mode={top.merge_mode!r} combines the directions "
                             f"element by element: the last axis stays units = {units}.")
            elif not is_output and top.bidirectional and a[-1] == 2 * units:
                rules.append(f"{what}: each direction keeps its own state of size units = {units}; "
                             "only the output is merged.")
            else:
                layer = "the last layer's" if len(q.specs) > 1 else "the layer's"
                rules.append(f"{what}: the last axis is {layer} units = {units}"
                             + (" (doubled by merge_mode='concat')" if e[-1] == 2 * units else "")
                             + ".")
    return list(dict.fromkeys(rules)) or ["Compare with Keras's answer below, tensor by tensor."]


def _count(q: Question, **changes) -> int:
    return replace(q, specs=tuple(replace(s, **changes) for s in q.specs)).expected_params()


def param_rules(q: Question, answer: int) -> list[str]:
    """The rule a wrong parameter count most likely broke, and every layer's formula."""
    rules = []
    halves = sum(s.layer().build((None, None, d)).forward_layer.count_params()
                 for s, d in zip(q.specs, _input_dims(q)) if s.bidirectional)
    if halves and answer == q.expected_params() - halves:
        rules.append("Bidirectional holds two independent copies of the layer (forward and "
                     "backward): twice its parameters.")
    if any(s.cell == "GRU" for s in q.specs):
        flipped = replace(q, specs=tuple(replace(s, reset_after=not s.reset_after)
                                         if s.cell == "GRU" else s for s in q.specs))
        if answer == flipped.expected_params():
            rules.append("reset_after=True (Keras's default) keeps two bias rows, (2, 3·units): "
                         "3·units more than reset_after=False." if any(
                             s.reset_after for s in q.specs if s.cell == "GRU") else
                         "reset_after=False keeps a single bias row (3·units,): 3·units fewer "
                         "than Keras's default reset_after=True.")
    if any(not s.use_bias for s in q.specs) and answer == _count(q, use_bias=True):
        rules.append("use_bias=False: that layer has no bias vector, so no bias parameters.")
    if all(s.use_bias for s in q.specs) and answer == _count(q, use_bias=False):
        rules.append("use_bias=True (the default): add one bias per unit and gate block.")
    if len(q.specs) > 1:
        flat = sum(s.layer().build((None, None, q.input_dim)).count_params() for s in q.specs)
        if answer == flat:
            rules.append("A stacked layer's input_dim is the previous layer's output size (its "
                         "units, doubled by merge_mode='concat'), not x's features.")
    if any(s.cell != "SimpleRNN" for s in q.specs) and answer == _count(q, cell="SimpleRNN"):
        rules.append("LSTM has 4 weight blocks (gates i, f, c, o), GRU 3 (z, r, h): a gated "
                     "cell's count is that many times a SimpleRNN's.")
    model = q.model()
    formulas = [f"{type(layer).__name__}: {row['formula']}" for layer, row in
                zip(model.layers, model.summary_rows())]
    rules.append("Per layer, units × (input_dim + units) + biases for each gate block: "
                 + "; ".join(formulas) + (f"; total {model.count_params():,}" if len(formulas) > 1
                                          else "") + ".")
    return rules


def _input_dims(q: Question) -> list[int]:
    """Each layer's input_dim: x's features, then the previous layer's output size."""
    shapes = [q.input_shape] + [row["output_shape"] for row in q.model().summary_rows()]
    return [(s[0] if isinstance(s, list) else s)[-1] for s in shapes[:-1]]


shape_text = sequential.shape_text  # as Keras prints a shape; pages/quiz.py reads it here
