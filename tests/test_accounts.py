"""Staff accounts: hashing, the accounts file, and the `kb user` commands."""
from __future__ import annotations

import json
import stat

import pytest

from helpers import PASSWORD
from kb.accounts import ACCOUNTS_FILE, StaffAccounts
from kb.errors import AccountError, KbError


@pytest.fixture
def accounts(tmp_path) -> StaffAccounts:
    return StaffAccounts(tmp_path / "instance")


def test_an_added_account_verifies_only_with_its_password(accounts):
    assert accounts.add("Nurse.Joy", PASSWORD) is True
    assert accounts.verify("nurse.joy", PASSWORD) == accounts.stamp("nurse.joy")
    assert accounts.verify("NURSE.JOY ", PASSWORD) is not None  # names are folded like the add did
    assert accounts.verify("nurse.joy", PASSWORD.upper()) is None
    assert accounts.verify("nobody", PASSWORD) is None
    assert accounts.verify("not a valid name!", PASSWORD) is None


def test_the_file_holds_salted_hashes_readable_by_its_owner_only(accounts):
    accounts.add("nurse", PASSWORD)
    accounts.add("doctor", PASSWORD)
    text = accounts.path.read_text()
    assert PASSWORD not in text
    hashes = [entry["hash"] for entry in json.loads(text)["accounts"].values()]
    assert all(h.startswith("scrypt:") for h in hashes)
    assert hashes[0] != hashes[1]  # the same password, different salts
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600


def test_a_password_reset_changes_the_stamp_and_removal_drops_it(accounts):
    accounts.add("nurse", PASSWORD)
    first = accounts.stamp("nurse")
    assert accounts.add("nurse", "another long password") is False
    assert accounts.stamp("nurse") not in (None, first)
    assert accounts.remove("nurse") is True
    assert accounts.stamp("nurse") is None
    assert accounts.remove("nurse") is False


def test_changes_by_another_process_are_seen(tmp_path):
    reader, writer = StaffAccounts(tmp_path), StaffAccounts(tmp_path)
    assert reader.names() == []
    writer.add("nurse", PASSWORD)
    assert reader.names() == ["nurse"]
    writer.remove("nurse")
    assert reader.stamp("nurse") is None


@pytest.mark.parametrize("name", ["", " ", "a b", "-leading-dash", "x" * 65, "semi;colon", "ünïcode"])
def test_bad_names_are_refused(accounts, name):
    with pytest.raises(AccountError, match="not a valid staff name"):
        accounts.add(name, PASSWORD)


@pytest.mark.parametrize("password", ["", "short", "x" * 257])
def test_bad_passwords_are_refused(accounts, password):
    with pytest.raises(AccountError, match="8 to 256 characters"):
        accounts.add("nurse", password)
    assert not accounts.path.exists()


def test_a_damaged_accounts_file_is_a_clear_error(accounts):
    accounts.path.parent.mkdir(parents=True)
    accounts.path.write_text("{not json")
    with pytest.raises(KbError, match="cannot be read"):
        accounts.names()


def test_kb_user_add_list_and_remove(runner, app):
    result = runner.invoke(args=["user", "add", "Nurse"], input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert f"Staff account 'nurse' created in {app.config['INSTANCE_DIR']}" in result.output
    result = runner.invoke(args=["user", "add", "nurse"], input="a new password here\n")
    assert "password reset" in result.output
    assert runner.invoke(args=["user", "list"]).output.split() == ["nurse", "staff"]
    store = StaffAccounts(app.config["INSTANCE_DIR"])
    assert store.verify("nurse", "a new password here")
    result = runner.invoke(args=["user", "remove", "nurse"])
    assert result.exit_code == 0 and "removed" in result.output
    assert f"No staff accounts in {app.config['INSTANCE_DIR']} yet" in runner.invoke(args=["user", "list"]).output
    assert store.names() == []


def test_kb_user_refuses_bad_input_with_a_message(runner):
    result = runner.invoke(args=["user", "add", "nurse"], input="short\n")
    assert result.exit_code == 2 and "8 to 256 characters" in result.output
    result = runner.invoke(args=["user", "remove", "ghost"])
    assert result.exit_code == 1 and "no staff account 'ghost'" in result.output


def test_kb_user_reports_a_damaged_file(runner, app):
    path = StaffAccounts(app.config["INSTANCE_DIR"]).path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[]")
    for args in (["user", "list"], ["user", "remove", "nurse"], ["user", "add", "nurse"]):
        result = runner.invoke(args=args, input=f"{PASSWORD}\n")
        assert result.exit_code == 2 and f"{ACCOUNTS_FILE} cannot be read" in result.output


@pytest.mark.parametrize("length,accepted", [(7, False), (8, True), (256, True), (257, False)])
def test_a_password_is_8_to_256_characters(accounts, length, accepted):
    if accepted:
        assert accounts.add("nurse", "p" * length) is True
    else:
        with pytest.raises(AccountError, match="8 to 256 characters"):
            accounts.add("nurse", "p" * length)
