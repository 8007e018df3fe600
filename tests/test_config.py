"""Typed configs: from_dict, nested merge, key.path=value overrides, YAML files, resolve order."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from dlbox.tasks.classify.config import ClassifyConfig
from dlbox.config import (
    ConfigError,
    DataConfig,
    TrainConfig,
    from_dict,
    load_yaml,
    merge,
    parse_override,
    resolve,
    save_yaml,
    to_dict,
)


def test_from_dict_round_trips_to_dict():
    cfg = ClassifyConfig()
    cfg.train.epochs = 7
    cfg.model.kwargs = {"channels": [8, 16]}
    assert from_dict(ClassifyConfig, to_dict(cfg)) == cfg


def test_from_dict_unknown_top_level_key_lists_valid_keys():
    with pytest.raises(ConfigError) as exc:
        from_dict(TrainConfig, {"epochz": 3})
    msg = str(exc.value)
    assert "epochz" in msg
    for f in dataclasses.fields(TrainConfig):
        assert f.name in msg


def test_from_dict_unknown_nested_key_names_full_path_and_valid_keys():
    with pytest.raises(ConfigError) as exc:
        from_dict(ClassifyConfig, {"data": {"nmae": "digits"}})
    msg = str(exc.value)
    assert "data.nmae" in msg
    for f in dataclasses.fields(DataConfig):
        assert f"data.{f.name}" in msg


def test_from_dict_nested_section_must_be_mapping():
    with pytest.raises(ConfigError, match="train"):
        from_dict(ClassifyConfig, {"train": 3})


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_merge_is_nested_and_keeps_siblings():
    base = ClassifyConfig()
    base.train.batch_size = 32
    out = merge(base, {"train": {"epochs": 3}, "data": {"name": "shapes"}})
    assert out.train.epochs == 3
    assert out.train.batch_size == 32  # sibling kept
    assert out.data.name == "shapes"
    assert out.data.val_fraction == DataConfig().val_fraction
    assert base.train.epochs == TrainConfig().epochs  # input not mutated


def test_merge_model_kwargs_are_merged_key_by_key():
    base = merge(ClassifyConfig(), {"model": {"name": "cnn", "kwargs": {"channels": [8], "pool": "max"}}})
    out = merge(base, {"model": {"kwargs": {"pool": "mean"}}})
    assert out.model.kwargs == {"channels": [8], "pool": "mean"}


def test_merge_unknown_key_is_error():
    with pytest.raises(ConfigError, match="optim.lrr"):
        merge(ClassifyConfig(), {"optim": {"lrr": 0.1}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("train.epochs=3", {"train": {"epochs": 3}}),
        ("optim.lr=0.01", {"optim": {"lr": 0.01}}),
        ("data.name=folder:/tmp/x", {"data": {"name": "folder:/tmp/x"}}),
        ("train.progress=false", {"train": {"progress": False}}),
        ("model.kwargs.channels=[8, 16]", {"model": {"kwargs": {"channels": [8, 16]}}}),
        ("train.max_steps=", {"train": {"max_steps": None}}),
        ("name=a=b", {"name": "a=b"}),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


def test_parse_override_without_equals_is_error():
    with pytest.raises(ConfigError, match="train.epochs"):
        parse_override("train.epochs")


def test_parse_override_reads_exponent_floats():
    assert resolve(ClassifyConfig(), overrides=["optim.lr=1e-3"]).optim.lr == pytest.approx(1e-3)


def test_load_yaml_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_yaml(path)


def test_load_yaml_non_mapping_names_file(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError) as exc:
        load_yaml(path)
    assert str(path) in str(exc.value)
    assert "mapping" in str(exc.value)


def test_load_yaml_invalid_yaml_names_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train: {epochs: 3\n")
    with pytest.raises(ConfigError) as exc:
        load_yaml(path)
    assert str(path) in str(exc.value)


def test_load_yaml_empty_file_is_empty_mapping(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert load_yaml(path) == {}


def test_resolve_order_defaults_yaml_set_direct(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump({"train": {"epochs": 5, "seed": 11, "batch_size": 16}, "data": {"name": "shapes"}}))
    cfg = resolve(
        ClassifyConfig(),
        config_file=path,
        overrides=["train.seed=22", "train.batch_size=8"],
        train={"batch_size": 4},
    )
    defaults = ClassifyConfig()
    assert cfg.optim.lr == defaults.optim.lr  # default only
    assert cfg.train.epochs == 5  # YAML over default
    assert cfg.data.name == "shapes"
    assert cfg.train.seed == 22  # --set over YAML
    assert cfg.train.batch_size == 4  # direct over --set


def test_resolve_later_overrides_win():
    cfg = resolve(ClassifyConfig(), overrides=["train.epochs=2", "train.epochs=9"])
    assert cfg.train.epochs == 9


def test_resolve_unknown_override_key_lists_valid(tmp_path):
    with pytest.raises(ConfigError) as exc:
        resolve(ClassifyConfig(), overrides=["train.epoch=3"])
    assert "train.epochs" in str(exc.value)


def test_save_yaml_round_trip(tmp_path):
    cfg = resolve(ClassifyConfig(), overrides=["train.epochs=4", "model.kwargs.channels=[8, 16]"])
    path = tmp_path / "config.yaml"
    save_yaml(cfg, path)
    assert from_dict(ClassifyConfig, load_yaml(path)) == cfg
