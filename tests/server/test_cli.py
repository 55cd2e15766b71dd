import io
import sys

import pytest

from core.users import verify_password


def test_init_is_idempotent(runner):
    for _ in range(2):
        r = runner.invoke(args=["init"])
        assert r.exit_code == 0 and "Database ready" in r.output


def test_user_add_token_revoke(runner, onestop, client):
    r = runner.invoke(args=["user", "add", "hoa", "--role", "supervisor", "--password", "matkhau1"])
    assert r.exit_code == 0, r.output
    row = onestop.users.get("hoa")
    assert row["password_hash"].startswith("scrypt$16384$8$1$")
    assert verify_password(row["password_hash"], "matkhau1")
    r = runner.invoke(args=["user", "token", "hoa"])
    token = r.output.strip().splitlines()[-1]
    # Stored hashed, never in clear.
    stored = onestop.store.reader().execute("SELECT token_hash FROM tokens").fetchone()[0]
    assert token not in stored
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/counters", headers=h).status_code == 200
    r = runner.invoke(args=["user", "revoke", "hoa"])
    assert "Revoked 1" in r.output
    assert client.get("/api/counters", headers=h).status_code == 401


def test_user_errors(runner):
    r = runner.invoke(args=["user", "add", "x", "--role", "boss", "--password", "matkhau1"])
    assert r.exit_code != 0
    runner.invoke(args=["user", "add", "x", "--role", "clerk", "--password", "matkhau1"])
    r = runner.invoke(args=["user", "add", "x", "--role", "clerk", "--password", "matkhau1"])
    assert r.exit_code != 0 and "exists already" in r.output
    r = runner.invoke(args=["user", "add", "y", "--role", "clerk", "--password", "123"])
    assert r.exit_code != 0 and "at least 6" in r.output
    r = runner.invoke(args=["user", "token", "nobody"])
    assert r.exit_code != 0 and "No user" in r.output


def test_day_close(runner, kiosk, onestop):
    kiosk.take_ticket("hotich")
    r = runner.invoke(args=["day", "close"])
    assert "Expired 1 ticket" in r.output
    assert onestop.queue.line.snapshot()["waiting"]["hotich"] == 0


def test_secret_key_is_generated_once_and_kept(app, tmp_path):
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()


def test_config_check_and_schema(runner):
    r = runner.invoke(args=["config", "check"])
    assert r.exit_code == 0 and "A  hotich" in r.output and "Quầy 3" in r.output
    r = runner.invoke(args=["config", "schema"])
    assert "`office.enforce_hours` | true or false | True" in r.output


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_bar_is_none_off_a_terminal(monkeypatch):
    from server.kernel import terminal_bar

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with terminal_bar("Working") as progress:
        assert progress is None
    assert sys.stderr.getvalue() == ""  # not even click's one label line
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    with terminal_bar("Working", enabled=False) as progress:
        assert progress is None


def test_terminal_bar_draws_on_stderr_and_ends_its_line_even_on_error(monkeypatch):
    from server.kernel import terminal_bar

    term = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", term)
    with pytest.raises(RuntimeError), terminal_bar("Working") as progress:
        progress(1, 4)
        progress(3, 4)
        raise RuntimeError("disk full")
    screen = term.getvalue()
    assert "\r" in screen and "Working" in screen and "3/4" in screen
    assert screen.endswith("\n") and "\x1b[?25h" in screen  # cursor shown again


def test_user_disable_ends_the_session_and_the_tokens(app, onestop):
    """`flask user disable` ends a clerk's login and API tokens at once; `enable` lets them back."""
    from tests.counter.pages import add_user, login

    add_user(onestop, "clerk9", "clerk")
    token = onestop.users.new_token("clerk9")
    browser = app.test_client()
    login(browser, "clerk9")
    assert browser.get("/api/counters").status_code == 200
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "disable", "clerk9"])
    assert result.exit_code == 0 and "Disabled clerk9" in result.output
    assert browser.get("/api/counters").status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/counters", headers=bearer).status_code == 401
    assert runner.invoke(args=["user", "disable", "nobody"]).exit_code != 0
    assert runner.invoke(args=["user", "enable", "clerk9"]).exit_code == 0
