"""Readings from /proc: CPU seconds, resident memory and run-queue wait of a process tree, the whole
machine's CPU and pressure, and stopping a process group.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

from bench.common import CLK_TCK, PAGE


# -- /proc readings -------------------------------------------------------------------------------------------
def stop_process_group(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM a process group started with start_new_session, SIGKILL it if it outlives `timeout`."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def proc_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (gunicorn master + workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return 0


def sched_wait_seconds(pid: int) -> float:
    """Seconds the process's threads spent runnable but waiting for a CPU (/proc/<pid>/task/*/schedstat)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[1])
            except OSError:
                continue
    except OSError:
        return 0.0
    return total / 1e9


class CpuWindow:
    """CPU seconds used by a set of processes between start() and stop() (processes found at either end),
    and the seconds they spent runnable but queued for a CPU (the neighbours' share of our latency)."""

    def __init__(self, pids_fn):
        self.pids_fn = pids_fn
        self.t0 = self.before = None

    def _read(self) -> dict:
        return {p: (cpu_seconds(p), sched_wait_seconds(p)) for p in self.pids_fn()}

    def start(self) -> "CpuWindow":
        self.before = self._read()
        self.t0 = time.monotonic()
        return self

    def stop(self) -> dict:
        elapsed = time.monotonic() - self.t0
        after = self._read()
        used = sum(cpu - self.before.get(p, (0.0, 0.0))[0] for p, (cpu, _) in after.items())
        waited = sum(w - self.before.get(p, (0.0, 0.0))[1] for p, (_, w) in after.items())
        pct = (lambda x: 100.0 * x / elapsed if elapsed else float("nan"))
        return {"cpu_s": used, "elapsed": elapsed, "cpu_pct": pct(used), "wait_s": waited, "wait_pct": pct(waited)}


class MachineCpu:
    """Whole-machine CPU over a window (100 = one core busy), from /proc/stat, and CPU pressure from
    /proc/pressure/cpu: the share of the window in which some runnable task waited for a CPU."""

    @staticmethod
    def _read() -> tuple[float, float, float]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        try:
            with open("/proc/pressure/cpu") as f:
                psi = int(f.readline().rsplit("total=", 1)[1]) / 1e6
        except (OSError, IndexError, ValueError):
            psi = float("nan")
        return sum(fields[:8]) / CLK_TCK, (fields[3] + fields[4]) / CLK_TCK, psi

    def start(self) -> "MachineCpu":
        self.total0, self.idle0, self.psi0 = self._read()
        self.t0 = time.monotonic()
        return self

    def stop(self) -> dict:
        total, idle, psi = self._read()
        elapsed = time.monotonic() - self.t0
        busy = (total - self.total0) - (idle - self.idle0)
        return {"cpu_s": busy, "elapsed": elapsed, "cpu_pct": 100.0 * busy / elapsed if elapsed else float("nan"),
                "pressure_pct": 100.0 * (psi - self.psi0) / elapsed if elapsed else float("nan")}


def rss_mb(pids: list[int]) -> float:
    return sum(rss_bytes(p) for p in pids) / 2**20
