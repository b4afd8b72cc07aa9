"""The /encoder_decoder page (seed 000's encoder -> decoder) and the stack/padding views of
/shapes and /parameters, with every number checked against Keras (weights and inputs are the
only things taken from the app: they are inputs, not results)."""
from __future__ import annotations

import base64

import numpy as np
import pytest
from app_helpers import array_after, by_key, chart_figure, open_page, shapes_in, texts

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

ATOL = 1e-5


def _config(query):
    from ui.controls.settings import Config, ViewSettings
    cfg, warnings = Config.from_query(query)
    view, _ = ViewSettings.from_query(query)
    assert not warnings
    return cfg, view


def _z(trace) -> np.ndarray:
    """A heatmap's z as the browser receives it (Plotly's typed-array spec)."""
    z = trace["z"]
    if isinstance(z, dict):
        values = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
        return values.reshape([int(d) for d in z["shape"].split(",")]) if "shape" in z else values
    return np.array(z, dtype=float)


def _keras_encoder_decoder(keras, cfg, t_dec):
    """Seed 000's model in Keras, with the app's weights, on the app's x and y."""
    from ui.controls import inputs
    from ui.runtime import lab
    encoder, decoder = lab.encoder_decoder(cfg)
    encoder.build((None, cfg.timesteps, cfg.input_dim))
    decoder.build((None, t_dec, cfg.input_dim))
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths())      # (batch, T, input_dim)
    y = inputs.decoder_input(cfg, t_dec)                          # (batch, T_dec, input_dim)
    enc_in, dec_in = keras.Input((cfg.timesteps, cfg.input_dim)), keras.Input((t_dec, cfg.input_dim))
    make = getattr(keras.layers, cfg.cell)
    kencoder = make(cfg.units, return_state=True, name="encoder")
    kdecoder = make(cfg.units, return_sequences=cfg.return_sequences, name="decoder")
    masked = keras.layers.Masking(0.0)(enc_in) if cfg.lengths else enc_in
    _, *states = kencoder(masked)
    out = kdecoder(dec_in, initial_state=states)
    kencoder.set_weights(encoder.get_weights())
    kdecoder.set_weights(decoder.get_weights())
    seq = make(cfg.units, return_sequences=True, name="decoder_steps")  # every step's h
    steps = seq(dec_in, initial_state=states)
    seq.set_weights(decoder.get_weights())
    model = keras.Model([enc_in, dec_in], [*states, out, steps])
    return [np.asarray(t) for t in model([x, y])]


@pytest.mark.parametrize("query", [
    dict(),                                                            # LSTM, the seed's cell
    dict(cell="GRU", units="5", lengths="4,7", decoder_timesteps="3"),
    dict(cell="SimpleRNN", units="3", batch_size="3", timesteps="6", return_sequences="true",
         seed="9", lengths="6,2,5"),
])
def test_encoder_decoder_numbers_match_keras(keras, query):
    at = open_page("encoder_decoder", **query)
    cfg, view = _config(query)
    *states, out, steps = _keras_encoder_decoder(keras, cfg, view.decoder_timesteps)
    text = texts(by_key(at, "ed_numbers"))[0]
    names = ["state_h", "state_c"] if cfg.cell == "LSTM" else ["state_h"]
    for name, theirs in zip(names, states):
        shown = array_after(text, f"encoder final {name} [sample 0]")
        np.testing.assert_allclose(shown, theirs[:1], atol=ATOL)
        # the handover: the decoder's initial state is exactly the encoder's final state
        np.testing.assert_array_equal(array_after(text, f"decoder initial {name} [sample 0]"), shown)
    np.testing.assert_allclose(array_after(text, "decoder_output [sample 0]"), out[:1], atol=ATOL)

    heat = [t for t in chart_figure(at, "ed_states")["data"] if t["type"] == "heatmap"]
    enc_h, dec_h = _z(heat[0]).T, _z(heat[1]).T                   # (timesteps, units)
    np.testing.assert_allclose(enc_h[-1], states[0][0], atol=ATOL)  # the boxed final state
    np.testing.assert_allclose(dec_h, steps[0], atol=ATOL)         # every decoder step
    shown_shapes = shapes_in(" ".join(texts(by_key(at, "ed_shapes"))))
    batch, units = cfg.batch_size, cfg.units
    assert shown_shapes[:2] == [(batch, cfg.timesteps, cfg.input_dim), (batch, units)]
    assert shown_shapes[-1] == out.shape
    assert chart_figure(at, "handover")["data"]
    stateful = " ".join(texts(by_key(at, "ed_stateful")))
    assert "reset_state()" in stateful


# --- /shapes and /parameters with a stack and padding ----------------------------------------------
def _keras_stack(keras, cfg):
    """The lab's model in Keras: [Masking] + the stack, with the app's weights."""
    from ui.runtime import lab
    ours = lab.build_model(cfg)
    inputs_ = keras.Input((cfg.timesteps, cfg.input_dim), batch_size=cfg.batch_size)
    h, outs = inputs_, []
    for layer in ours.layers:
        if layer.name == "masking":
            klayer = keras.layers.Masking(0.0)
        else:
            rnn = getattr(keras.layers, cfg.cell)(
                cfg.units, return_sequences=layer.return_sequences,
                go_backwards=getattr(layer, "go_backwards", False))
            klayer = keras.layers.Bidirectional(rnn, merge_mode=cfg.merge) if cfg.bidirectional else rnn
        h = klayer(h)
        outs.append(h)
        klayer.set_weights(layer.get_weights())
    return ours, keras.Model(inputs_, outs)


@pytest.mark.parametrize("query", [
    dict(layers="2", lengths="4,7"),
    dict(layers="3", cell="GRU", units="3", lengths="2,5,5", batch_size="3", timesteps="6",
         return_sequences="true"),
    dict(layers="2", cell="SimpleRNN", bidirectional="true", lengths="3,6", timesteps="6"),
])
def test_shapes_page_stack_and_padding_match_keras(keras, query):
    from ui.controls import inputs
    from ui.runtime import lab
    at = open_page("shapes", **query)
    cfg, _ = _config(query)
    _, kmodel = _keras_stack(keras, cfg)
    table = " ".join(texts(by_key(at, "stack_shapes")))
    shapes = [tuple(t.shape) for t in kmodel.outputs]  # Masking's, then each layer's output
    expected = []
    for received, returned in zip(shapes, shapes[1:]):  # each layer: what it receives, returns
        expected += [received, returned]
    assert shapes_in(table)[:len(expected)] == expected

    # the padded steps: the figure's h is what Keras computes, and it is carried unchanged
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths())
    outputs = kmodel(x)
    sample = int(np.argmin(cfg.valid_lengths()))                   # the page's default sample
    length = cfg.valid_lengths()[sample]
    heat = [t for t in chart_figure(at, "masked_states")["data"] if t["type"] == "heatmap"]
    bars = [t for t in chart_figure(at, "masked_states")["data"] if t["type"] == "bar"]
    assert bars and list(_z({"z": bars[0]["x"]})) == list(range(length, cfg.timesteps))
    first = outputs[1]                                             # layer 1 (after Masking)
    if not cfg.bidirectional:  # Keras returns the carried h at masked steps: the states
        np.testing.assert_allclose(_z(heat[0]).T, np.asarray(first)[sample], atol=ATOL)
    padding = " ".join(texts(by_key(at, "padding")))
    assert "**0**" in padding                                      # max change at padded steps
    assert ("Bidirectional sets `zero_output_for_mask=True`" in padding) == cfg.bidirectional


def test_lower_layer_without_sequences_shows_keras_error(keras):
    at = open_page("shapes", layers="2", lower_return_sequences="false")
    with pytest.raises(ValueError) as theirs:
        keras.Sequential([keras.Input((10, 4)), keras.layers.LSTM(8, name="lstm"),
                          keras.layers.LSTM(8, name="lstm_1")])
    assert any(str(theirs.value) in e.value for e in at.error), [e.value for e in at.error]
    assert any("return_sequences=True" in m.value for m in at.markdown)


@pytest.mark.parametrize("query, message", [
    (dict(lengths="4,7,9"), "one per sample: batch_size = 2"),
    (dict(lengths="4,70"), "at most timesteps = 10"),
])
def test_lengths_that_do_not_fit_give_a_clear_error(query, message):
    at = open_page("shapes", **query)
    assert any(message in e.value for e in at.error)


def test_invalid_lengths_in_the_url_warn_and_fall_back():
    at = open_page("shapes", lengths="four,7")
    assert any(w.value.startswith("Ignored URL parameter — lengths: got 'four,7'")
               for w in at.warning)
    assert at.session_state["lengths"] == ""


def test_parameters_page_counts_every_layer_like_keras(keras):
    query = dict(layers="3", cell="GRU", units="5", input_dim="3")
    at = open_page("parameters", **query)
    cfg, _ = _config(query)
    _, kmodel = _keras_stack(keras, cfg)
    counts = [layer.count_params() for layer in kmodel.layers[1:]]
    table = " ".join(texts(by_key(at, "stack_params")))
    for count in counts:
        assert f"| {count:,} |" in table
    assert f"**{sum(counts):,}**" in table


# --- /hidden_states and /gates: pick the layer, padded steps ---------------------------------------
@pytest.mark.parametrize("page, key", [("hidden_states", "step_through"),
                                       ("gates", "gates_step_through")])
def test_step_through_of_an_upper_layer_with_padding_matches_keras(keras, page, key):
    import dataclasses
    query = dict(layers="2", lengths="4,7", layer_index="1", cell="GRU", units="3")
    at = open_page(page, **query)
    assert at.selectbox(key="layer_index").value == 1
    assert at.query_params["layer_index"] in ("1", ["1"])               # the view is a link
    cfg, _ = _config(query)
    from ui.controls import inputs
    from ui.runtime import lab
    _, kmodel = _keras_stack(keras, dataclasses.replace(cfg, return_sequences=True))
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths())
    h_keras = np.asarray(kmodel(x)[2])[0]                           # layer 2, sample 0 (T, units)
    fig = chart_figure(at, key)
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    z = _z(heat[-1] if page == "gates" else heat[0])                # the block with h: (units, T)
    h_shown = z.T
    np.testing.assert_allclose(h_shown, h_keras, atol=ATOL)
    padded = [s for s in fig["layout"]["shapes"] if s.get("fillcolor") and s["x0"] == 3.5]
    assert padded and padded[0]["x1"] == 9.5                        # steps 4..9 greyed
    assert any("padding" in i.value for i in at.info)
