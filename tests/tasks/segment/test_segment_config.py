"""The segment config: shared sections with segmentation defaults, and old ``seg`` config files upgraded."""

from __future__ import annotations

from dlbox.config import from_dict, to_dict
from dlbox.tasks.segment.config import SegmentConfig, upgrade


def test_old_seg_section_becomes_segment_and_top_level_init():
    old = {"data": {"name": "shapes"}, "seg": {"init": "runs/classify/c", "dice_weight": 0.5, "tile_overlap": 8}}
    new = upgrade(old)
    assert new == {"data": {"name": "shapes"}, "init": "runs/classify/c", "segment": {"dice_weight": 0.5, "tile_overlap": 8}}
    assert "seg" in old  # the caller's dict is not modified
    cfg = from_dict(SegmentConfig, new)
    assert cfg.init == "runs/classify/c" and cfg.segment.dice_weight == 0.5 and cfg.segment.tile_overlap == 8


def test_a_saved_old_config_round_trips_to_the_same_config():
    cfg = SegmentConfig()
    cfg.init, cfg.segment.ignore_index = "runs/classify/c", 7
    saved = to_dict(cfg)
    section = saved.pop("segment")
    old = {**{k: v for k, v in saved.items() if k != "init"}, "seg": {**section, "init": saved["init"]}}
    assert from_dict(SegmentConfig, upgrade(old)) == cfg
    assert upgrade(to_dict(cfg)) == to_dict(cfg)  # today's keys pass through unchanged
    old["seg"]["init"] = None
    assert from_dict(SegmentConfig, upgrade(old)).init is None
