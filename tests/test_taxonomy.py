import pytest

from kb.errors import ConfigError
from kb.taxonomy import FACET_KEYS, load_taxonomy
from conftest import FIXTURES


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(FIXTURES / "taxonomy.yaml")


def test_four_facets_in_contract_order(taxonomy):
    assert tuple(taxonomy.facets) == FACET_KEYS


@pytest.mark.parametrize(
    "low, high, bands",
    [
        (150, 400, ["under-200", "200-to-300", "over-300"]),
        (50, 199, ["under-200"]),
        (200, 200, ["200-to-300"]),
        (299.5, 300, ["200-to-300", "over-300"]),
        (1000, 2000, ["over-300"]),
    ],
)
def test_price_range_counts_in_every_band_it_overlaps(taxonomy, low, high, bands):
    assert taxonomy.cost_bands(low, high) == bands


def test_closest_values_for_a_typo(taxonomy):
    assert taxonomy.closest("procedure", "micro-needlng")[0] == "microneedling"


def test_synonym_groups_cover_labels_and_synonyms(taxonomy):
    groups = {g.canonical: g.phrases for g in taxonomy.synonym_groups()}
    assert "collagen induction therapy" in groups["microneedling"]
    assert "ice pick" in [p.lower() for p in groups["icepick"]]
    assert "how much" in groups["cost"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("facets: [", "not valid YAML"),
        ("- a list", "must be a mapping"),
        ("facets: {scar_type: {values: [{value: a}]}}", "facets must be exactly"),
        (
            "facets: {scar_type: {values: [{value: Bad Slug}]}, procedure: {values: [{value: p}]},"
            " side_effect: {values: [{value: s}]}, cost: {bands: [{value: c}]}}",
            "is not a slug",
        ),
        (
            "facets: {scar_type: {values: [{value: a}, {value: a}]}, procedure: {values: [{value: p}]},"
            " side_effect: {values: [{value: s}]}, cost: {bands: [{value: c}]}}",
            "repeats values",
        ),
        (
            "facets: {scar_type: {values: [{value: a}]}, procedure: {values: [{value: p}]},"
            " side_effect: {values: [{value: s}]}, cost: {bands: [{value: c, max: 100}, {value: d, min: 200}]}}",
            "must start where the previous band ends",
        ),
        (
            "facets: {scar_type: {values: [{value: a, synonyms: [shared]}]}, procedure: {values: [{value: p, synonyms: [shared]}]},"
            " side_effect: {values: [{value: s}]}, cost: {bands: [{value: c}]}}",
            "belongs to both",
        ),
    ],
)
def test_bad_taxonomy_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_taxonomy(path)
    assert str(path) in info.value.message


def test_missing_taxonomy_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_taxonomy(tmp_path / "nope.yaml")
