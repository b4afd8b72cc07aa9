"""Settings and their widgets: the dataclasses (``settings``), the sidebar and the URL
(``sidebar``), the input presets (``inputs``) and the app's session keys (``keys``)."""
