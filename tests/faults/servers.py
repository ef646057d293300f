"""PostgreSQL and Redis servers of a fault run's own, on free ports of 127.0.0.1.

A fault run stops and restarts its database and broker, so it never uses the servers other
work shares: it starts a PostgreSQL cluster (initdb in a temporary directory) and a
redis-server of its own, and removes both at the end. PostgreSQL refuses to run as root, so
under root its commands run as the `postgres` user.
"""

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness_processes import free_port, wait_until_answers


def postgres_bin() -> Path:
    """The newest PostgreSQL's binaries: Debian's /usr/lib/postgresql/<version>/bin, else the PATH."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name)
    )
    if installed:
        return installed[-1].parent
    found = shutil.which("initdb") or shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL's initdb is not installed (apt-get install postgresql)")


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/", **options)
    if result.returncode:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}): {result.stderr or result.stdout}"
        )
    return result


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster in `directory`, listening on 127.0.0.1:`port` only."""

    directory: Path
    port: int = field(default_factory=free_port)
    database: str = "order_authorization"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "postgresql.log"

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        _run(
            _as_owner(
                [
                    str(postgres_bin() / "initdb"),
                    "--pgdata",
                    str(self.data),
                    "--username",
                    "postgres",
                    "--auth",
                    "trust",
                    "--encoding",
                    "UTF8",
                    "--no-sync",
                ]
            )
        )
        self.start()
        _run(
            _as_owner(
                [
                    str(postgres_bin() / "createdb"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--username",
                    "postgres",
                    self.database,
                ]
            )
        )

    def _ctl(self, *action: str) -> None:
        # Durability is not what is tested: fsync off spares the shared disk. Shutdowns are clean.
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            _as_owner(
                [
                    str(postgres_bin() / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    options,
                    "-w",
                    *action,
                ]
            )
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        """Shut down at once (`-m fast`): sessions are ended, open transactions rolled back."""
        self._ctl("stop", "-m", "fast")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # not running
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class PrivateRedis:
    """A redis-server on 127.0.0.1:`port` that keeps nothing on disk: stopping it loses every message."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.directory / "redis.log"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        log = open(self.log, "ab")  # noqa: SIM115 (the server keeps it)
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until_answers(self.port, timeout=15, process=self.process)

    def stop(self) -> None:
        """Stop the server as an outage would: every queued message is gone."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                wait_until_answers(self.port, timeout=0.2)
            except RuntimeError:
                return
        raise RuntimeError(f"Redis still answers on {self.port} after being stopped")


def private_directory(prefix: str) -> Path:
    """A new temporary directory that the `postgres` user may enter (mkdtemp makes it the owner's only)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)
    return directory
