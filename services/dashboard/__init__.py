"""The model dashboard: rows composed over the training and endpoints ports, and the ``models`` CLI."""
