import pytest

from kb import create_app
from kb.settings import SETTINGS, split_origins
from conftest import PROJECT


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting):
    readme = (PROJECT / "README.md").read_text()
    assert f"`KB_{setting.name}`" in readme
    assert setting.help


def test_environment_overrides_defaults_and_test_config_overrides_both(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_MAX_QUERY_LENGTH", "80")
    monkeypatch.setenv("KB_API_CACHE_SECONDS", "5")
    app = create_app({"INSTANCE_DIR": str(tmp_path), "API_CACHE_SECONDS": 7})
    assert app.config["MAX_QUERY_LENGTH"] == 80
    assert app.config["API_CACHE_SECONDS"] == 7
    assert app.config["TAXONOMY_FILE"].endswith("articles/taxonomy.yaml")


def test_instance_config_file_sits_between_defaults_and_environment(tmp_path, monkeypatch):
    (tmp_path / "kb.cfg").write_text("MAX_PAGE = 12\nMAX_QUERY_LENGTH = 50\n")
    monkeypatch.setenv("KB_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("KB_MAX_QUERY_LENGTH", "90")
    app = create_app()
    assert app.config["MAX_PAGE"] == 12 and app.config["MAX_QUERY_LENGTH"] == 90


def test_secret_key_is_created_once_and_kept(tmp_path):
    first = create_app({"INSTANCE_DIR": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_DIR": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "value, origins",
    [("", []), (None, []), ("https://a.example", ["https://a.example"]),
     (" https://a.example/ , https://b.example ,", ["https://a.example", "https://b.example"]),
     (["https://c.example"], ["https://c.example"])],
)
def test_cors_origins_parsing(value, origins):
    assert split_origins(value) == origins
