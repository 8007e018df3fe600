"""Semantic segmentation as a task (notes 3.11): ``dlbox segment train|eval|predict|heatmap``.

Data (``shapes`` scenes, ``masks:`` folders), the training recipe on the shared run
(:mod:`dlbox.engine.training`), evaluation, prediction, overlays and class heatmaps of a
convolutionalized classifier. The algorithms they use live in :mod:`dlbox.segmentation`.
"""
