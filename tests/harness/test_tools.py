"""`make test` names what it is missing instead of skipping the tests that need it."""

from __future__ import annotations

from harness.tools import Tool, main, missing

THERE = Tool("a tool that is installed", ("coreutils",), ("true",))
ABSENT = Tool("the browser tests", ("chromium", "chromium-driver"), ("/nonexistent/chromium",))
FAILING = Tool("the libical tests", ("gir1.2-ical-3.0",), ("sh", "-c", "exit 3"))


def test_a_tool_is_missing_when_its_probe_cannot_run_or_fails():
    assert missing((THERE, ABSENT, FAILING)) == [ABSENT, FAILING]


def test_without_root_the_missing_packages_are_named_with_the_command(capsys):
    assert main((THERE,), may_install=False) == 0
    assert main((THERE, ABSENT, FAILING), may_install=False) == 1

    said = capsys.readouterr().err
    assert "chromium, chromium-driver: for the browser tests" in said
    assert "gir1.2-ical-3.0: for the libical tests" in said
    assert "sudo apt-get install chromium chromium-driver gir1.2-ical-3.0" in said
