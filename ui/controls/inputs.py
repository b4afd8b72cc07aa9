"""Input presets: the x that every page feeds the layer, (batch, timesteps, features)."""
from __future__ import annotations

import csv
import io
import math

import numpy as np

from ui.controls.settings import LIMITS, Config
from ui.runtime import budget

# seed 004's notebook: one sentence of 4 words, 5-dimensional word vectors
TRAIN_X = np.array([[[0.1, 4.2, 1.5, 1.1, 2.8],
                     [1.0, 3.1, 2.5, 0.7, 1.1],
                     [0.3, 2.1, 1.5, 2.1, 0.1],
                     [2.2, 1.4, 0.5, 0.9, 1.1]]], dtype=np.float32)  # (1, 4, 5)


def vocabulary(word: str) -> list[str]:
    """Distinct characters in order of first appearance ("hihello" -> h, i, e, l, o)."""
    return list(dict.fromkeys(word))


def one_hot(word: str) -> np.ndarray:
    """(1, len(word), len(vocabulary)) one-hot rows, as in seed 002's hihello model."""
    vocab = vocabulary(word)
    index = np.array([vocab.index(ch) for ch in word])           # (timesteps,)
    return np.eye(len(vocab), dtype=np.float32)[index][None]     # (1, timesteps, vocab)


def sine_waves(batch_size: int, timesteps: int, input_dim: int) -> np.ndarray:
    """Feature d is a sine with d+1 half-periods over the sequence; samples shift phase."""
    t = np.arange(timesteps)[None, :, None]                     # (1, T, 1)
    freq = (np.arange(input_dim) + 1)[None, None, :] / (2 * max(timesteps, 2))  # (1, 1, D)
    phase = (np.arange(batch_size) / batch_size)[:, None, None]  # (B, 1, 1)
    return np.sin(2 * np.pi * (freq * t + phase)).astype(np.float32)  # (B, T, D)


def seeded_random(batch_size: int, timesteps: int, input_dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch_size, timesteps, input_dim)).astype(np.float32)


def parse_csv(data: bytes) -> np.ndarray:
    """Parse an uploaded timesteps × features table; raise ValueError saying what is wrong.

    A first row with non-numeric cells is taken as a header. Delimiters , ; tab or spaces.
    Sizes are checked before the cells are parsed, so a large file costs nothing.
    """
    budget.check_upload(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("csv: the file is not UTF-8 text; expected a plain CSV file") from None
    if "\x00" in text:
        raise ValueError("csv: the file contains NUL bytes (binary data); expected a plain CSV file")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("csv: the file is empty; expected rows of numbers "
                         "(one row per timestep, one column per feature)")
    t_max, d_max = LIMITS["timesteps"][1], LIMITS["input_dim"][1]
    if len(lines) > t_max + 1:  # + a header row
        raise ValueError(f"csv: got {len(lines)} rows (timesteps), expected at most {t_max}")
    delimiter = next((d for d in (",", ";", "\t") if d in lines[0]), None)
    try:
        if delimiter is None:
            rows = [line.split() for line in lines]
        else:
            rows = [[cell.strip() for cell in row]
                    for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
    except csv.Error as err:
        raise ValueError(f"csv: {err}; expected a plain CSV file") from None

    if not all(_is_float(cell) for cell in rows[0]) and len(rows) > 1:
        rows = rows[1:]                                          # header row
    width = len(rows[0])
    if width > d_max:
        raise ValueError(f"csv: got {width} columns (features), expected at most {d_max}")
    values = []
    for r, row in enumerate(rows, start=1):
        if len(row) != width:
            raise ValueError(f"csv: data row {r} has {len(row)} values, expected {width} "
                             "(every row needs the same number of features)")
        bad = next((cell for cell in row if not _is_float(cell)), None)
        if bad is not None:
            raise ValueError(f"csv: data row {r} has {bad[:40]!r}, expected a number")
        row = [float(cell) for cell in row]
        if not all(math.isfinite(v) for v in row):
            raise ValueError(f"csv: data row {r} has NaN or infinite values; expected finite numbers")
        big = next((v for v in row if abs(v) > budget.MAX_ABS_INPUT), None)
        if big is not None:
            raise ValueError(f"csv: data row {r} has {big:g}, expected numbers between "
                             f"{-budget.MAX_ABS_INPUT:g} and {budget.MAX_ABS_INPUT:g}")
        values.append(row)
    if len(values) > t_max:
        raise ValueError(f"csv: got {len(values)} rows (timesteps), expected at most {t_max}")
    return np.array(values, dtype=np.float32)                   # (timesteps, features)


def _is_float(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def fixed_shape(cfg: Config, csv_x: np.ndarray | None) -> tuple[int, int, int] | None:
    """(batch, timesteps, features) imposed by the preset, or None if the sidebar decides."""
    if cfg.preset == "train_X":
        return TRAIN_X.shape
    if cfg.preset == "word" and cfg.word:
        return (1, len(cfg.word), len(vocabulary(cfg.word)))
    if cfg.preset == "csv" and csv_x is not None:
        return (1, *csv_x.shape)
    return None


def make_input(cfg: Config, csv_x: np.ndarray | None = None) -> np.ndarray:
    """x for the config, (batch_size, timesteps, input_dim) float32."""
    if cfg.preset == "train_X":
        return TRAIN_X.copy()
    if cfg.preset == "word" and cfg.word:
        return one_hot(cfg.word)
    if cfg.preset == "csv" and csv_x is not None:
        return csv_x[None].astype(np.float32)
    if cfg.preset == "sine":
        return sine_waves(cfg.batch_size, cfg.timesteps, cfg.input_dim)
    return seeded_random(cfg.batch_size, cfg.timesteps, cfg.input_dim, cfg.seed)


def decoder_input(cfg: Config, timesteps: int) -> np.ndarray:
    """The encoder -> decoder page's decoder input, (batch_size, timesteps, input_dim) float32:
    seeded random values standing in for seed 000's embedded target tokens."""
    return seeded_random(cfg.batch_size, timesteps, cfg.input_dim, cfg.seed + 1)
