"""The screen oracle (issue 17): read what the browser receives, check it against real Keras.

``labels`` decodes every hover label of a chart's figure (and of its animation frames) into
(quantity, sample, layer, direction, step, unit, value) from the label text alone;
``keras_ref`` computes those quantities with Keras for the page's settings.
"""
