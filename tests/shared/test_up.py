"""`todo up`: a process that exits is started again (with back-off) instead of stopping the
platform; Ctrl-C stops everything with rc 0; nothing printed carries a password."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from shared.config import Config
from shared.logging import redact_url
from shared.up import banner

ROOT = Path(__file__).resolve().parents[2]

# The manager as `up()` runs it, with one worker that crashes at once and one that keeps running.
MANAGER = textwrap.dedent(
    """
    import sys
    from honcho.printer import Printer
    from shared.up import RestartingManager

    manager = RestartingManager(Printer(sys.stdout), first_delay=0.2, most_delay=0.8)
    manager.add_process("crashing", "echo working; exit 3")
    manager.add_process("steady", "exec sleep 600")
    manager.loop()
    sys.exit(manager.returncode or 0)
    """
)


def read_until(process: subprocess.Popen, predicate, timeout: float = 30) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not predicate(lines):
        assert time.monotonic() < deadline, lines
        line = process.stdout.readline()
        assert line, lines  # the manager ended
        lines.append(line.split("| ", 1)[-1].rstrip("\n"))
    return lines


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_crashed_process_is_restarted_with_back_off_and_ctrl_c_stops_all():
    manager = subprocess.Popen(
        [sys.executable, "-u", "-c", MANAGER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_until(manager, lambda lines: sum("restarting" in x for x in lines) >= 4)
        assert sum(line == "working" for line in lines) >= 4
        delays = [line.rsplit(" in ", 1)[1] for line in lines if "restarting" in line]
        assert delays[:4] == ["0.2 s", "0.4 s", "0.8 s", "0.8 s"]
        assert "crashing exited (rc=3)" in next(x for x in lines if "restarting" in x)
        [steady] = [x for x in lines if x.startswith("steady started")]
        steady_pid = int(steady.split("pid=")[1].rstrip(")"))
        assert alive(steady_pid)

        manager.send_signal(signal.SIGINT)
        rest, _ = manager.communicate(timeout=30)
    finally:
        manager.kill()
    assert manager.returncode == 0
    assert "SIGINT received" in rest
    assert "steady stopped" in rest
    assert "restarting" not in rest.split("SIGINT received", 1)[1]
    assert not alive(steady_pid)


CONFIG_ERROR = MANAGER.replace(
    '"echo working; exit 3"', '"echo queues declared otherwise; exit 78"'
).replace("first_delay=0.2", "first_delay=0.05")


def test_a_process_that_cannot_run_as_configured_stops_everything_instead_of_looping():
    manager = subprocess.run(
        [sys.executable, "-u", "-c", CONFIG_ERROR],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert manager.returncode == os.EX_CONFIG
    assert manager.stdout.count("queues declared otherwise") == 1
    assert "cannot run with this configuration" in manager.stdout
    assert "restarting" not in manager.stdout
    assert "steady stopped" in manager.stdout


def test_printed_urls_carry_no_password(tmp_path):
    config = Config.from_env(
        {
            "TODO_VAR_DIR": str(tmp_path),
            "TODO_TESTING": "1",
            "SMTP_URL": "smtp://todo:smtp-s3cret@mail.example:587",
            "AMQP_URL": "amqp://todo:amqp-s3cret@broker.example:5672/%2F",
        }
    )
    text = banner(config)
    assert "smtp://todo:***@mail.example:587" in text
    assert "amqp://todo:***@broker.example:5672/%2F" in text
    assert "s3cret" not in text


def test_redact_url():
    assert redact_url("postgresql+psycopg://app:pg-s3cret@db:5432/notify") == (
        "postgresql+psycopg://app:***@db:5432/notify"
    )
    assert redact_url("postgresql://app@db/notify?password=pg-s3cret&sslmode=require") == (
        "postgresql://app@db/notify?password=***&sslmode=require"
    )
    assert redact_url("smtps://mail.example") == "smtps://mail.example"
    assert redact_url("sqlite:///var/notify.db") == "sqlite:///var/notify.db"
