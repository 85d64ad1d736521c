"""HAProxy (Debian's package) in front of several instances of each web service, for a
platform that runs `Stack(instances=2)` (drills, benchmarks)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.infra import port_open, wait_until


class HAProxy:
    """One frontend port per service, health checks on /readyz."""

    def __init__(self, backends: dict[int, list[int]], directory: Path):
        self.backends = backends
        self.config = directory / "haproxy.cfg"
        self.log = directory / "haproxy.log"
        self.process: subprocess.Popen | None = None

    def render(self) -> str:
        lines = [
            "global",
            "    maxconn 4096",
            "defaults",
            "    mode http",
            "    timeout connect 2s",
            "    timeout client 60s",
            "    timeout server 60s",
            # A connection refused by a dead instance is tried on the other one; a request the
            # dead instance had already taken is the client's to retry (Idempotency-Key).
            "    retries 3",
            "    option redispatch",
            "    option httpchk GET /readyz",
            "    default-server inter 500ms fall 2 rise 2",
        ]
        for port, instances in self.backends.items():
            lines += [f"listen web-{port}", f"    bind 127.0.0.1:{port}"]
            lines += [f"    server web-{i} 127.0.0.1:{i} check" for i in instances]
        return "\n".join(lines) + "\n"

    def start(self) -> HAProxy:
        self.config.write_text(self.render())
        subprocess.run(["haproxy", "-c", "-q", "-f", str(self.config)], check=True)
        self.process = subprocess.Popen(
            ["haproxy", "-db", "-f", str(self.config)],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        for port in self.backends:
            wait_until(lambda p=port: port_open(p), timeout=30, message=f"HAProxy on {port}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
