"""Fixtures: the fixture articles indexed once per session with the real indexer; app, client, runner."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kb import create_app
from kb.articles import load_folder
from kb.index import IndexStore, update_index
from kb.taxonomy import load_taxonomy

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
PROJECT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch):
    """A developer's own KB_* variables must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("KB_"):
            monkeypatch.delenv(name)


def build(articles: Path, index_dir: Path, **options):
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    return update_index(IndexStore(index_dir), load_folder(articles, taxonomy), taxonomy, **options)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("index")
    build(FIXTURES, index_dir)
    return index_dir


def make_app(articles: Path, index_dir: Path, instance: Path, **extra):
    return create_app(
        {"TESTING": True, "ARTICLES_DIR": str(articles), "INDEX_DIR": str(index_dir), "INSTANCE_DIR": str(instance), **extra}
    )


@pytest.fixture
def app(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance")
    yield app
    app.extensions["kb.search"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def engine(app):
    return app.extensions["kb.search"].engine()


@pytest.fixture
def articles_copy(tmp_path) -> Path:
    """A private, editable copy of the fixture articles."""
    target = tmp_path / "articles"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture
def fresh_app(articles_copy, tmp_path):
    """An app over a private article copy and an index folder with nothing built yet."""
    app = make_app(articles_copy, tmp_path / "index", tmp_path / "instance")
    yield app
    app.extensions["kb.search"].close()
