"""Field and value mapping suggestions (English and Chinese) and saved profiles."""

from __future__ import annotations

import json

import pytest

from citymgr_desktop.core.errors import BadFileError, NotFoundError, ValidationError
from citymgr_desktop.core.importing import ImportMapping, suggest_mapping
from citymgr_desktop.core.importing.profile import load_profile, save_profile, to_toml
from citymgr_desktop.core.importing.sources import (
    SourceField,
    SourceLayer,
    SourceOptions,
    describe_layer,
)
from citymgr_desktop.core.importing.values import is_null_word, match_code, suggest_values
from citymgr_desktop.core.model import domains as dm
from tests.core import import_sources as src


def _layer(*fields: SourceField) -> SourceLayer:
    return SourceLayer("x.shp", "x", "ESRI Shapefile", "Point", 10, None, fields=list(fields))


def test_chinese_field_names_are_suggested(tmp_path):
    info = describe_layer(src.geojson_roads(tmp_path))
    m = suggest_mapping(info, "road_segment")
    assert m.fields == {"name": "名称", "road_class": "道路等级", "condition": "技术状况",
                        "lanes": "车道数", "width_m": "路宽", "pavement": "路面类型",
                        "source_id": "编号"} | {k: v for k, v in m.fields.items()
                                              if k not in ("name", "road_class", "condition",
                                                           "lanes", "width_m", "pavement",
                                                           "source_id")}
    assert m.values["condition"] == {"好": 1, "较差": 3}
    assert m.values["road_class"] == {"主干路": "arterial", "次干路": "secondary",
                                      "支路": "branch"}
    assert "差不多" not in m.values["condition"]  # an unknown word is not guessed


def test_english_and_osm_names():
    layer = _layer(
        SourceField("osm_key", "text", ["way/1", "way/2"], 0, 2, 2),
        SourceField("osm_id", "text", ["1", "2"], 0, 2, 2),
        SourceField("name", "text", ["Mannerheimintie"], 0, 1, 1),
        SourceField("highway", "text", ["primary", "residential"], 0, 2, 2),
        SourceField("surface", "text", ["asphalt", "paving_stones"], 0, 2, 2),
        SourceField("smoothness", "text", ["good", "intermediate"], 0, 2, 2),
        SourceField("lanes", "text", ["2"], 0, 1, 1),
        SourceField("Shape_Leng", "real", [12.5], 0, 1, 1),
    )
    m = suggest_mapping(layer, "road_segment")
    assert m.fields["source_id"] == "osm_key"  # unique across nodes, ways and relations
    assert m.fields["road_class"] == "highway"
    assert m.fields["pavement"] == "surface"
    assert m.fields["condition"] == "smoothness"
    assert m.fields["lanes"] == "lanes"
    assert "Shape_Leng" not in m.fields.values()
    assert m.values["pavement"] == {"asphalt": "asphalt", "paving_stones": "block"}
    assert m.values["condition"] == {"good": 1, "intermediate": 3}


def test_content_suggests_a_coded_field_with_an_odd_name():
    layer = _layer(SourceField("col7", "text", ["可回收物", "厨余垃圾", "其他垃圾"], 0, 3, 3),
                   SourceField("col8", "text", ["a", "b"], 0, 2, 2))
    m = suggest_mapping(layer, "litter_bin")
    assert m.fields.get("bin_type") == "col7"


def test_repeating_ids_are_not_a_source_id():
    layer = _layer(SourceField("id", "integer", [1, 2], 0, 2, 5))  # 5 values, 2 distinct
    assert "source_id" not in suggest_mapping(layer, "bridge").fields


def test_obj_code_only_when_the_content_is_a_code_of_the_class():
    good = _layer(SourceField("部件编码", "text", ["4201060304000012"], 0, 1, 1))
    other = _layer(SourceField("部件编码", "text", ["4201060201000012"], 0, 1, 1))
    assert suggest_mapping(good, "litter_bin").fields.get("obj_code") == "部件编码"
    assert "obj_code" not in suggest_mapping(other, "litter_bin").fields


@pytest.mark.parametrize(("word", "code"), [
    ("good", 1), ("好", 1), ("完好", 1), (" GOOD ", 1), ("１", 1), (1.0, 1), ("较好", 2),
    ("一般", 3), ("差", 4), ("危险", 5), ("Ⅳ类", 4), ("差不多", None), ("不好", None),
    ("excellent!", None),
])
def test_condition_words(word, code):
    assert match_code(dm.CONDITION, word) == code


def test_null_words_are_empty_not_unmatched():
    for w in ("", "  ", "-", "未知", "unknown", "N/A", None, float("nan")):
        assert is_null_word(w)
    assert not is_null_word("0")
    assert suggest_values(dm.CONDITION, ["好", "未知", "", "oops"]) == {"好": 1, "oops": None}


def test_longest_chinese_label_inside_a_phrase():
    assert match_code(dm.PAVEMENT, "沥青混凝土路面") == "asphalt"
    assert match_code(dm.PAVEMENT, "彩色透水砖") == "block"
    assert match_code(dm.BIN_MOUNT, "挂杆式（双桶）") == "pole"


def test_mapping_check_names_the_problem():
    m = ImportMapping("road_segment", fields={"colour": "x"})
    with pytest.raises(ValidationError, match="road_segment has no field 'colour'"):
        m.check(["x"])
    m = ImportMapping("road_segment", fields={"name": "NAME"})
    with pytest.raises(NotFoundError, match=r"the source has no field 'NAME'.*fields: a, b"):
        m.check(["a", "b"])
    m = ImportMapping("road_segment", fields={"updated_by": "a"})
    with pytest.raises(ValidationError, match="maintained by the app"):
        m.check(["a"])
    with pytest.raises(NotFoundError, match="unknown asset class 'roads'"):
        ImportMapping("roads").check([])


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_profile_round_trip(tmp_path, suffix):
    m = ImportMapping("litter_bin", fields={"name": "名称", "source_id": "编号"},
                      constants={"district": "首义街道", "capacity_l": 240},
                      values={"bin_type": {"大件垃圾": "other", "没用": None}},
                      id_prefix="vendorA:", on_unmatched="skip")
    m.geometry.multipart = "refuse"
    opts = SourceOptions(layer="bins", encoding="GBK", source_crs="EPSG:4547")
    path = save_profile(tmp_path / f"bins{suffix}", m, opts)
    m2, opts2 = load_profile(path)
    assert m2.to_dict() | {"values": {}} == m.to_dict() | {"values": {}}
    assert m2.values["bin_type"]["大件垃圾"] == "other"
    assert m2.values["bin_type"]["没用"] in (None, "")  # TOML has no null: "" = leave empty
    assert opts2 == opts


def test_toml_writer_quotes_chinese_keys():
    text = to_toml({"a": 1, "values": {"condition": {"好": 1, 'say "hi"': 2}}})
    import tomllib

    assert tomllib.loads(text) == {"a": 1, "values": {"condition": {"好": 1, 'say "hi"': 2}}}


def test_bad_profiles_are_clear(tmp_path):
    p = tmp_path / "p.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(BadFileError, match="not a valid JSON profile"):
        load_profile(p)
    p.write_text(json.dumps({"target": "bridge"}), encoding="utf-8")
    with pytest.raises(ValidationError, match="not an import profile"):
        load_profile(p)
    p.write_text(json.dumps({"citymgr_import_profile": 1, "target": "bridge", "colour": 1}),
                 encoding="utf-8")
    with pytest.raises(ValidationError, match="unknown key"):
        load_profile(p)
    with pytest.raises(BadFileError, match="no such profile"):
        load_profile(tmp_path / "missing.toml")
