"""The app around the core: ``rnn_core`` computes, ``ui`` turns settings into what a page draws.

One room per role:

- ``ui.controls``: the settings (pure dataclasses), their sidebar widgets and the URL, the input
  presets, the session keys;
- ``ui.drawing``: the figure builders (plain Plotly dicts) and the step-through equations;
- ``ui.sections``: page sections that several pages or one long page share;
- ``ui.classroom``: what a class uses around the charts: the quiz, the tour, presenter view and
  links, the exports, the model builder, the Keras code, the cited tutorials;
- ``ui.runtime``: the glue with the running server: the chart element, the current model, the
  cached experiments, the budgets, the background cross-check, the guard.

The browser side (JavaScript, CSS) of ``ui`` lives in ``ui/js/``; vendored files in ``static/``.
"""
