"""PostgreSQL and Redis servers of a fault run's own, on free ports of 127.0.0.1.

A fault run stops and restarts its database and broker, so it never uses the servers other
work shares: it starts a PostgreSQL cluster (initdb in a temporary directory) and a
redis-server of its own, and removes both at the end. A cluster run puts them on its
database host instead (`tests.faults.network`). PostgreSQL refuses to run as root, so
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness_processes import ends_with_this_process, free_port, wait_until_answers


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


def _here(command: list[str]) -> list[str]:
    return command


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    """Run `command`, and fail with what it printed when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/", **options)
    if result.returncode:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}): {result.stderr or result.stdout}"
        )
    return result


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster in `directory`, listening on `host`:`port` only.

    `within` runs its commands elsewhere: inside a host of `tests.faults.network` (`Host.command`).
    """

    directory: Path
    port: int = field(default_factory=free_port)
    database: str = "order_authorization"
    host: str = "127.0.0.1"
    within: Callable[[list[str]], list[str]] = _here

    @property
    def url(self) -> str:
        return f"postgres://postgres@{self.host}:{self.port}/{self.database}"

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
        if self.host != "127.0.0.1":
            # The hosts of the run's own network (`tests.faults.network`), which only they share.
            with open(self.data / "pg_hba.conf", "a") as hba:
                hba.write("host all all samenet trust\n")
        self.start()
        _run(
            self.within(
                _as_owner(
                    [
                        str(postgres_bin() / "createdb"),
                        "--host",
                        self.host,
                        "--port",
                        str(self.port),
                        "--username",
                        "postgres",
                        self.database,
                    ]
                )
            )
        )

    def _ctl(self, *action: str) -> None:
        # Durability is not what is tested: fsync off spares the shared disk. Shutdowns are clean.
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses={self.host} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            self.within(
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
    """A redis-server on `host`:`port` that keeps nothing on disk: stopping it loses every message."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    host: str = "127.0.0.1"
    within: Callable[[list[str]], list[str]] = _here

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

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
            self.within(
                [
                    binary,
                    "--bind",
                    self.host,
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                    # Off the loopback, clients are the hosts of the run's own network only.
                    "--protected-mode",
                    "no" if self.host != "127.0.0.1" else "yes",
                ]
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=ends_with_this_process(),
        )
        log.close()
        wait_until_answers(self.port, timeout=15, process=self.process, host=self.host)

    def stop(self) -> None:
        """Stop the server as an outage would: every queued message is gone."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                wait_until_answers(self.port, timeout=0.2, host=self.host)
            except RuntimeError:
                return
        raise RuntimeError(f"Redis still answers on {self.port} after being stopped")


def private_directory(prefix: str) -> Path:
    """A new temporary directory that the `postgres` user may enter (mkdtemp makes it the owner's only)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)
    return directory
