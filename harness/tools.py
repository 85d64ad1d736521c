"""The programs `make test` needs beside Python: installed when it runs as root on Debian, or
named with the command that installs them, so that no test is skipped for want of one.

    python -m harness.tools   # exit status 0 when everything is there
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    why: str
    packages: tuple[str, ...]
    probe: tuple[str, ...]

    def present(self) -> bool:
        try:
            return subprocess.run(self.probe, capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False


TOOLS = (
    Tool(
        "the browser tests (Playwright drives Debian's Chromium; its own download cannot work)",
        ("chromium",),
        ("/usr/bin/chromium", "--version"),
    ),
    Tool("the calendar-client tests run ical.js", ("nodejs",), ("node", "--version")),
    Tool(
        "the calendar-client tests run libical through GObject introspection",
        ("gir1.2-ical-3.0", "python3-gi"),
        ("/usr/bin/python3", "-c", "import gi; gi.require_version('ICalGLib', '3.0')"),
    ),
    # `wrk --version` exits with 1: being on the PATH is the test.
    Tool("the HTTP load of the benchmarks", ("wrk",), ("sh", "-c", "command -v wrk")),
    Tool(
        "checking docker/haproxy.cfg, and the drills' load balancer",
        ("haproxy",),
        ("haproxy", "-v"),
    ),
)
# `make drill` needs no browser: the load balancer only (RabbitMQ, PostgreSQL and Redis are there).
DRILL_TOOLS = tuple(tool for tool in TOOLS if tool.packages == ("haproxy",))


def missing(tools: tuple[Tool, ...] = TOOLS) -> list[Tool]:
    return [tool for tool in tools if not tool.present()]


def install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env)


def main(tools: tuple[Tool, ...] = TOOLS, may_install: bool | None = None) -> int:
    absent = missing(tools)
    if not absent:
        return 0
    packages = sorted({package for tool in absent for package in tool.packages})
    if may_install is None:
        may_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if may_install:
        print(f"installing what the tests need: {' '.join(packages)}", flush=True)
        install(packages)
        absent = missing(tools)
        if not absent:
            return 0
    print("The tests need programs that are not installed:", file=sys.stderr)
    for tool in absent:
        print(f"  {', '.join(tool.packages)}: for {tool.why}", file=sys.stderr)
    print(f"Install them with: sudo apt-get install {' '.join(packages)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
