"""What the benchmarks and drills share: ports, wrk runs, percentiles, an SMTP sink, memory.

Everything binds to 127.0.0.1; load generators run bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

RESULTS = Path(__file__).parent / "results"

# A wrk `done` hook that prints the figures as one JSON line (wrk's own text is hard to parse).
WRK_REPORT_LUA = r"""
function done(summary, latency, requests)
  local out = {
    requests = summary.requests,
    duration_us = summary.duration,
    errors_connect = summary.errors.connect,
    errors_read = summary.errors.read,
    errors_write = summary.errors.write,
    errors_status = summary.errors.status,
    errors_timeout = summary.errors.timeout,
    latency_p50_us = latency:percentile(50),
    latency_p90_us = latency:percentile(90),
    latency_p99_us = latency:percentile(99),
    latency_max_us = latency.max,
  }
  local parts = {}
  for k, v in pairs(out) do table.insert(parts, string.format('"%s":%d', k, v)) end
  io.write("WRK_RESULT {" .. table.concat(parts, ",") .. "}\n")
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_below_ephemeral() -> int:
    """A free port outside the kernel's ephemeral range (10000-32767), for servers that must
    keep their port across restarts: an outgoing connection could take an ephemeral one."""
    for port in range(10000 + os.getpid() % 5000, 32000, 7):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 32000")


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")


def run_wrk(
    url: str,
    seconds: float,
    connections: int = 64,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: str = "",
    script_args: tuple[str, ...] = (),
    timeout: str = "10s",
) -> dict:
    """Run wrk against `url` for `seconds`; `script` is Lua put before the report hook."""
    require_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + "\n" + WRK_REPORT_LUA)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        timeout,
        "-s",
        lua.name,
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run(
            [*command, url, *(["--", *script_args] if script_args else [])],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(lua.name)
    match = re.search(r"WRK_RESULT (\{.*\})", out.stdout)
    if match is None:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(match.group(1))
    duration = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / duration, 1),
        "p50_ms": round(raw["latency_p50_us"] / 1000, 2),
        "p90_ms": round(raw["latency_p90_us"] / 1000, 2),
        "p99_ms": round(raw["latency_p99_us"] / 1000, 2),
        "max_ms": round(raw["latency_max_us"] / 1000, 2),
        "non_2xx_3xx": raw["errors_status"],
        "socket_errors": sum(
            raw[k] for k in raw if k.startswith("errors_") and k != "errors_status"
        ),
    }


def write_result(name: str, data) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


# -- memory -------------------------------------------------------------------------------


def _process_table() -> tuple[dict[int, list[int]], dict[int, int]]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True)
    children: dict[int, list[int]] = defaultdict(list)
    rss_kb: dict[int, int] = {}
    for line in out.stdout.splitlines():
        pid, ppid, rss = (int(x) for x in line.split())
        children[ppid].append(pid)
        rss_kb[pid] = rss
    return children, rss_kb


def _descendants(pids: list[int], children: dict[int, list[int]]) -> set[int]:
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, ()))
    return seen


def tree_pids(pids: list[int]) -> list[int]:
    """These processes and all their descendants."""
    return sorted(_descendants(pids, _process_table()[0]))


def tree_rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes and all their descendants, in MB."""
    children, rss_kb = _process_table()
    return round(sum(rss_kb.get(pid, 0) for pid in _descendants(pids, children)) / 1024, 1)


# -- CPU ----------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each living process has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    # Processes started during the run (new pool connections) count from zero.
    return sum(now - before.get(pid, 0.0) for pid, now in cpu_seconds(pids).items())


class MemorySampler:
    """Samples the RSS of groups of processes (e.g. per service) every second; keeps the peak."""

    def __init__(self, groups: dict[str, list[int]], interval: float = 1.0):
        self.groups = groups
        self.interval = interval
        self.peak_mb: dict[str, float] = dict.fromkeys(groups, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        for name, pids in self.groups.items():
            self.peak_mb[name] = max(self.peak_mb[name], tree_rss_mb(pids))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


# -- a real SMTP server that counts -------------------------------------------------------


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every accepted mail with the time it was
    accepted. `stop()` and `start()` again on the same port simulate a relay outage.

    `smtputf8=False` is a server that does not offer SMTPUTF8 (RFC 6531); recipients in
    `refused` get a 550 to RCPT that names the address, as real relays answer; with
    `credentials` (user, password) it asks for AUTH and `url` carries them."""

    def __init__(
        self,
        port: int | None = None,
        *,
        smtputf8: bool = True,
        credentials: tuple[str, str] | None = None,
    ):
        self.port = port or free_port_below_ephemeral()
        self.smtputf8 = smtputf8
        self.credentials = credentials
        self.lock = threading.Lock()
        self.accepted: list[tuple[float, str, bytes]] = []  # (monotonic time, recipient, raw)
        # Recipients of mails sent with the SMTPUTF8 parameter.
        self.accepted_smtputf8: list[str] = []
        self.refused: set[str] = set()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        login = "{}:{}@".format(*self.credentials) if self.credentials else ""
        return f"smtp://{login}127.0.0.1:{self.port}"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=login == self.credentials)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.accepted.append((now, recipient.lower(), envelope.original_content))
                if envelope.smtp_utf8:
                    self.accepted_smtputf8.append(recipient.lower())
        return "250 OK"

    def start(self) -> SmtpSink:
        auth = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            enable_SMTPUTF8=self.smtputf8,
            **(auth if self.credentials else {}),
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)

    def per_recipient(self) -> Counter:
        with self.lock:
            return Counter(recipient for _, recipient, _ in self.accepted)

    def first_accepted_at(self) -> dict[str, float]:
        with self.lock:
            first: dict[str, float] = {}
            for at, recipient, _ in self.accepted:
                first.setdefault(recipient, at)
            return first

    def messages_to(self, recipient: str) -> list[bytes]:
        with self.lock:
            return [raw for _, r, raw in self.accepted if r == recipient.lower()]


def database_backend_pids(engine, databases: list[str]) -> list[int]:
    """PostgreSQL's server processes working for these databases (other than the one asking)."""
    with engine.connect() as connection:
        return list(
            connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%(names)s) "
                "AND pid <> pg_backend_pid()",
                {"names": databases},
            ).scalars()
        )
