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


def _canonicals(taxonomy):
    return {group.canonical for group in taxonomy.synonym_groups()}


def test_built_in_medical_synonyms_are_merged(taxonomy):
    groups = {group.canonical: group.phrases for group in taxonomy.synonym_groups()}
    assert "hypertension" in groups["highbloodpressure"]
    assert "alopecia" in groups["hairloss"]


def test_a_taxonomy_can_turn_the_built_in_synonyms_off(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text((FIXTURES / "taxonomy.yaml").read_text() + "\nmedical_synonyms: false\n")
    plain = load_taxonomy(path)
    assert "highbloodpressure" not in _canonicals(plain)
    assert plain.fingerprint != load_taxonomy(FIXTURES / "taxonomy.yaml").fingerprint


def test_the_taxonomys_own_groups_win_over_built_in_ones(tmp_path):
    """A built-in group sharing a phrase with the taxonomy is left out whole, never a startup error."""
    path = tmp_path / "taxonomy.yaml"
    path.write_text((FIXTURES / "taxonomy.yaml").read_text() + "\nsynonyms:\n  - [hypertension, raised pressure]\n")
    taxonomy = load_taxonomy(path)
    groups = {group.canonical: group.phrases for group in taxonomy.synonym_groups()}
    assert groups["hypertension"] == ("hypertension", "raised pressure")
    assert "highbloodpressure" not in groups
    assert "hairloss" in groups  # the other built-in groups stay
