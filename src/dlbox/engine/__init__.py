"""The training engine: one explicit Fabric loop shared by every task.

- :mod:`dlbox.engine.loop`: ``fit`` drives any :class:`~dlbox.engine.loop.Task`.
- :mod:`dlbox.engine.checkpoint`: atomic, resumable checkpoints.
- :mod:`dlbox.engine.rundir`: run directories that never overwrite earlier runs.
- :mod:`dlbox.engine.fabric_setup`, :mod:`dlbox.engine.optim`, :mod:`dlbox.engine.early_stopping`.

Import the submodules directly; this package imports nothing heavy.
"""
