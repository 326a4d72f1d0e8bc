import json
import socket
import subprocess
import urllib.request

import pytest

from helpers import KB, PROJECT, kb, kb_env, running_server


def test_index_prints_one_summary_line(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["index"])
    assert result.exit_code == 0, result.output
    assert "Indexed: 7 added, 0 updated, 0 removed, 0 rejected (full build," in result.output


def test_index_rejects_bad_articles_with_file_and_line_and_indexes_the_rest(fresh_app, articles_copy):
    bad = articles_copy / "typo.md"
    bad.write_text("---\ntitle: Typo\nsummary: s\nprocedure: micro-needlng\n---\nbody\n")
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["index"])
    assert result.exit_code == 1
    assert f"rejected: {bad}:4: unknown procedure 'micro-needlng'; closest valid values: microneedling" in result.output
    assert "7 added, 0 updated, 0 removed, 1 rejected" in result.output
    search = runner.invoke(args=["search", "--json", "cost"])
    assert json.loads(search.output)["hits"][0]["slug"] == "microneedling-cost"


def test_index_update_counts_changes(fresh_app, articles_copy):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["index"])
    (articles_copy / "ice-pick-scars.md").unlink()
    result = runner.invoke(args=["index"])
    assert "0 added, 0 updated, 1 removed, 0 rejected (update," in result.output
    assert "(full build," in runner.invoke(args=["index", "--full"]).output


def test_check_passes_on_good_articles(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0
    assert "Checked 7 articles: 0 problems" in result.output


def test_check_fails_on_any_problem_without_indexing(fresh_app, articles_copy, tmp_path):
    (articles_copy / "linker.md").write_text("---\ntitle: L\nsummary: s\nrelated: [ghost]\n---\n")
    result = fresh_app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "linker.md:4: related article 'ghost' does not exist" in result.output
    assert not (tmp_path / "index").exists()


def test_check_counts_in_plain_english(fresh_app, articles_copy):
    (articles_copy / "linker.md").write_text("---\ntitle: L\nsummary: s\nrelated: [ghost]\n---\n")
    assert "Checked 8 articles: 1 problem\n" in fresh_app.test_cli_runner().invoke(args=["check"]).output


def test_search_command_checks_the_page_as_the_api_does(fresh_app):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["index"])
    result = runner.invoke(args=["search", "cost", "--page", "101"])
    assert result.exit_code == 1 and "page must be between 1 and 100" in result.output
    assert "1 result " in runner.invoke(args=["search", "zanzibar", "--staff"]).output


def test_serve_on_a_taken_port_says_so_in_one_line(articles_copy, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = kb_env(articles_copy, tmp_path / "index", tmp_path / "instance")
        result = subprocess.run([str(KB), "serve", "--port", str(port)], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: 127.0.0.1:{port} is already in use (another kb serve?); choose another port with --port, or `make serve PORT=8080`"
    ]
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "index").exists()  # nothing was built for a server that cannot start


def test_commands_that_write_nothing_leave_no_instance_folder_behind(articles_copy, tmp_path):
    """A command run from the wrong folder must not leave an empty instance folder for the next one."""
    env = kb_env(articles_copy, tmp_path / "index", tmp_path / "instance")
    kb(["check"], env)
    kb(["user", "list"], env)
    assert not (tmp_path / "instance").exists()
    assert str(tmp_path / "instance") in kb(["user", "add", "nurse"], env, stdin="correct horse battery\n").stdout


def test_bad_taxonomy_is_reported_not_raised(fresh_app, articles_copy):
    (articles_copy / "taxonomy.yaml").write_text("facets: [")
    result = fresh_app.test_cli_runner().invoke(args=["index"])
    assert result.exit_code == 2
    assert "taxonomy is not valid YAML" in result.output


def test_search_command_filters_and_json(fresh_app):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["index"])
    text = runner.invoke(args=["search", "needles", "--scar-type", "ice-pick"])
    assert "What is microneedling?" in text.output and "Laser" not in text.output
    data = json.loads(runner.invoke(args=["search", "--json", "--procedure", "laser-resurfacing"]).output)
    assert {hit["slug"] for hit in data["hits"]} == {"laser-comparison", "ice-pick-scars"}
    bad = runner.invoke(args=["search", "x", "--cost", "free"])
    assert bad.exit_code == 1 and "unknown cost value 'free'" in bad.output
    assert runner.invoke(args=["search", "--staff", "zanzibar"]).output.count("staff-screening") == 1


def test_search_without_index_says_how_to_build_one(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["search", "cost"])
    assert result.exit_code == 1 and "run `kb index`" in result.output


@pytest.mark.slow
def test_kb_serve_builds_the_index_and_answers_the_contract(articles_copy, tmp_path):
    """The real console script under gunicorn: the command a new user's `make serve` runs."""
    with running_server(kb_env(articles_copy, tmp_path / "index", tmp_path / "instance")) as server:
        with urllib.request.urlopen(f"{server.url}/api/v1/search?q=microneedling%20cost", timeout=30) as answer:
            body = json.load(answer)
            assert answer.headers["Content-Type"] == "application/json"
        assert "No index yet: building it first." in "".join(server.output)
    assert body["hits"][0]["slug"] == "microneedling-cost"
    assert {"query", "corrected", "total", "hits", "facets"} <= set(body)


def test_the_kb_command_offers_the_contracts_commands_and_nothing_else(articles_copy, tmp_path):
    """Plugins of installed packages (Flask-Limiter's `limiter`) are not scanned for: `kb index` starts sooner."""
    listed = kb(["--help"], kb_env(articles_copy, tmp_path / "index", tmp_path / "instance")).stdout
    assert {line.split()[0] for line in listed.split("Commands:")[1].strip().splitlines()} == {"check", "index", "insights", "search", "serve", "user"}


@pytest.mark.slow
def test_the_kb_command_indexes_checks_and_searches_in_the_configured_app_alone(articles_copy, tmp_path):
    """The commands run without the web app; `search` opens its own engine over the index."""
    env = kb_env(articles_copy, tmp_path / "index", tmp_path / "instance")
    assert "Indexed: 7 added" in kb(["index"], env).stdout
    assert "Checked 7 articles: 0 problems" in kb(["check"], env).stdout
    answer = json.loads(kb(["search", "--json", "cost"], env).stdout)
    assert answer["hits"][0]["slug"] == "microneedling-cost"
    assert "staff-screening" in kb(["search", "--staff", "zanzibar"], env).stdout


def test_search_command_says_what_no_article_mentions_and_shows_notices(fresh_app, articles_copy):
    (articles_copy / "rules.yaml").write_text("rules:\n  - match: [fever]\n    notice: {level: urgent, title: \"Infection?\", text: Call the clinic today.}\n")
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["index"])
    output = runner.invoke(args=["search", "fever", "cost"]).output
    assert "URGENT: Infection? Call the clinic today." in output
    assert "No article mentions fever" in output


def test_kb_search_says_searched_for_when_the_correction_finds_nothing(built_index, tmp_path):
    from conftest import FIXTURES
    from helpers import kb, kb_env

    env = kb_env(FIXTURES, built_index, tmp_path / "instance")
    found = kb(["search", "micronedling"], env)
    nothing = kb(["search", "xylophone micronedling"], env)
    assert "Showing results for: microneedling" in found.stdout
    assert "Searched for: xylophone microneedling" in nothing.stdout and "No article mentions xylophone" in nothing.stdout
