"""Figure builders: plain Plotly dicts (``plot`` is the low-level kit, ``colors`` the palette),
the data figures, the schematic diagrams, stacks, training, and the step-through equations."""
