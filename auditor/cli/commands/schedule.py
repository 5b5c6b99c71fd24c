"""``auditor schedule --print systemd|cron|kubernetes``: scheduling with the schedulers
people already run (no daemon of our own).

From the ``schedule:`` (cron syntax) of each system in ``auditor.yaml`` (or the top-level
``schedule:``), systems sharing a schedule become one job running ``auditor run --system
...``. Output:

- ``systemd``: a ``.service`` + ``.timer`` pair per schedule (``OnCalendar=`` translated
  from the cron expression; ``Persistent=true`` catches up a missed run). systemd never
  starts a service that is still running, and ``flock --nonblock`` also keeps a manual
  ``auditor run`` of the same systems from overlapping (exit 75 when skipped).
- ``cron``: one crontab line per schedule, wrapped in ``flock --nonblock``.
- ``kubernetes``: a ``batch/v1`` CronJob per schedule with ``concurrencyPolicy: Forbid``.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from auditor.cli.commands.run import config_path
from auditor.errors import ConfigError
from auditor.runconfig import RunConfig, SystemConfig, load_config

__all__ = ["cron_to_oncalendar", "groups", "register", "render"]

_DOW = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DOW_NAMES = {n.lower(): str(i) for i, n in enumerate(_DOW[:7])}
_MONTHS = {m: str(i) for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_LIMITS = {"minute": (0, 59), "hour": (0, 23), "day-of-month": (1, 31), "month": (1, 12),
           "day-of-week": (0, 7)}


def register(sub: Any) -> None:
    p = sub.add_parser("schedule", help="print systemd, cron or Kubernetes scheduling",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--print", dest="kind", required=True,
                   choices=("systemd", "cron", "kubernetes"), help="what to generate")
    p.add_argument("--config", metavar="FILE", help="auditor.yaml (default: ./auditor.yaml)")
    p.add_argument("--system", action="append", default=[], metavar="NAME",
                   help="only these systems (repeatable)")
    p.add_argument("--auditor", metavar="PATH",
                   help="the auditor executable (default: the one on PATH)")
    p.add_argument("--lock-dir", default="/run/lock", metavar="DIR",
                   help="where flock keeps its lock files (default /run/lock)")
    p.add_argument("--image", default="auditor:latest", metavar="IMAGE",
                   help="container image for kubernetes (default auditor:latest)")
    p.add_argument("--namespace", metavar="NS", help="kubernetes namespace")
    p.set_defaults(handler=run)


def _field(text: str, name: str, names: dict[str, str] | None = None) -> str:
    """One cron field in systemd calendar syntax (``1-5`` -> ``1..5``, ``*/15`` -> ``0/15``)."""
    low, high = _LIMITS[name]
    out = []
    for part in text.lower().split(","):
        base, _, step = part.partition("/")
        if names:
            base = "-".join(names.get(x, x) for x in base.split("-"))
        if step and not step.isdigit():
            raise ConfigError(f"schedule: {name} field {text!r}: bad step")
        if base == "*":
            value = f"{low}/{step}" if step else "*"
        elif re.fullmatch(r"\d+(-\d+)?", base):
            nums = [int(x) for x in base.split("-")]
            if any(n < low or n > high for n in nums) or (len(nums) == 2 and nums[0] > nums[1]):
                raise ConfigError(f"schedule: {name} field {text!r}: out of range "
                                  f"{low}-{high}")
            value = "..".join(str(n) for n in nums) + (f"/{step}" if step else "")
        else:
            raise ConfigError(f"schedule: {name} field {text!r} is not supported "
                              f"(numbers, ranges, lists, steps and names)")
        out.append(value)
    return ",".join(out)


def _dow(text: str) -> str:
    if text == "*":
        return ""
    days = []
    for part in _field(text, "day-of-week", _DOW_NAMES).split(","):
        if "/" in part:
            raise ConfigError(f"schedule: day-of-week {text!r}: steps are not supported")
        days.append("..".join(_DOW[int(x)] for x in part.split("..")))
    return ",".join(days) + " "


def _pad(value: str) -> str:
    """Two-digit hours and minutes (``8..18/2`` -> ``08..18/2``)."""
    return re.sub(r"\d+", lambda m: m.group(0).zfill(2), value)


def cron_to_oncalendar(expr: str) -> str:
    """A five-field cron expression as a systemd ``OnCalendar=`` value."""
    parts = expr.split()
    if len(parts) != 5:
        raise ConfigError(f"schedule: {expr!r}: expected five fields "
                          f"(minute hour day-of-month month day-of-week)")
    minute, hour, dom, month, dow = parts
    if dom != "*" and dow != "*":
        raise ConfigError(f"schedule: {expr!r}: cron runs when EITHER day-of-month or "
                          f"day-of-week matches; give only one of them")
    return (f"{_dow(dow)}*-{_field(month, 'month', _MONTHS)}-{_field(dom, 'day-of-month')} "
            f"{_pad(_field(hour, 'hour'))}:{_pad(_field(minute, 'minute'))}:00")


def groups(cfg: RunConfig, names: Sequence[str]) -> list[tuple[str, str, list[SystemConfig]]]:
    """``(job name, cron expression, systems)`` per distinct schedule, in config order."""
    by_schedule: dict[str, list[SystemConfig]] = {}
    for system in cfg.select(names):
        if system.schedule is None:
            sys.stderr.write(f"auditor: {system.name}: no schedule: (not scheduled)\n")
            continue
        by_schedule.setdefault(" ".join(system.schedule.split()), []).append(system)
    if not by_schedule:
        raise ConfigError(f"{cfg.path}: no system has a schedule (set schedule: at the top "
                          f"level or per system)")
    out = []
    for cron, members in by_schedule.items():
        name = "auditor-run" if len(by_schedule) == 1 and not names \
            else f"auditor-run-{members[0].name}"
        out.append((name, cron, members))
    return out


def _command(auditor: str, cfg: RunConfig, members: Sequence[SystemConfig],
             every: bool) -> list[str]:
    argv = [auditor, "run", "--config", str(Path(cfg.path).resolve()), "-q"]
    if not every:
        for s in members:
            argv += ["--system", s.name]
    return argv


def render(kind: str, cfg: RunConfig, args: argparse.Namespace) -> str:
    jobs = groups(cfg, args.system)
    auditor = args.auditor or shutil.which("auditor") or "auditor"
    every = len(jobs) == 1 and not args.system
    out: list[str] = []
    flock = shutil.which("flock") or "/usr/bin/flock"
    for name, cron, members in jobs:
        cmd = _command(auditor, cfg, members, every)
        lock = f"{args.lock_dir.rstrip('/')}/{name}.lock"
        locked = [flock, "--nonblock", "--conflict-exit-code", "75", lock, *cmd]
        systems = ", ".join(s.name for s in members)
        if kind == "cron":
            out.append(f"# {name}: {systems}\n{cron} {shlex.join(locked)}\n")
        elif kind == "systemd":
            out.append(
                f"# /etc/systemd/system/{name}.service\n"
                f"[Unit]\nDescription=auditor scheduled compliance scan ({systems})\n"
                f"Wants=network-online.target\nAfter=network-online.target\n\n"
                f"[Service]\nType=oneshot\n"
                f"# passwords for password_env: KEY=value lines, readable by root only\n"
                f"EnvironmentFile=-/etc/auditor/auditor.env\n"
                f"ExecStart={shlex.join(locked)}\n"
                f"# exit 1 = findings at or above fail_on: a result, not a failed unit\n"
                f"SuccessExitStatus=1\nNice=10\nIOSchedulingClass=idle\n\n"
                f"# /etc/systemd/system/{name}.timer\n"
                f"[Unit]\nDescription=Schedule of {name}.service ({cron})\n\n"
                f"[Timer]\nOnCalendar={cron_to_oncalendar(cron)}\nPersistent=true\n"
                f"Unit={name}.service\n\n[Install]\nWantedBy=timers.target\n")
        else:
            out.append(yaml.safe_dump(_cronjob(name, cron, cmd[1:], cfg, args),
                                      sort_keys=False, allow_unicode=True))
    return ("---\n" if kind == "kubernetes" else "\n").join(out)


def _cronjob(name: str, cron: str, argv: list[str], cfg: RunConfig,
             args: argparse.Namespace) -> dict[str, Any]:
    argv = list(argv)
    argv[argv.index("--config") + 1] = "/etc/auditor/auditor.yaml"
    argv += ["--reports", "/var/lib/auditor/reports"]
    env: list[dict[str, Any]] = []
    if not (cfg.store or "").startswith("postgresql"):
        env.append({"name": "AUDITOR_STORE",
                    "value": "sqlite:////var/lib/auditor/history.sqlite"})
    metadata: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/name": "auditor"}}
    if args.namespace:
        metadata["namespace"] = args.namespace
    container: dict[str, Any] = {
        "name": "auditor", "image": args.image, "args": argv,
        "envFrom": [{"secretRef": {"name": "auditor-env", "optional": True}}],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/auditor", "readOnly": True},
                         {"name": "data", "mountPath": "/var/lib/auditor"}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
    }
    if env:
        container["env"] = env
    return {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata,
        "spec": {
            "schedule": cron, "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                "restartPolicy": "Never",
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                    "fsGroup": 10001},
                "containers": [container],
                "volumes": [{"name": "config", "configMap": {"name": "auditor-config"}},
                            {"name": "data", "persistentVolumeClaim": {
                                "claimName": "auditor-data"}}],
            }}}},
        },
    }


def run(args: argparse.Namespace) -> int:
    cfg = load_config(config_path(args.config))
    sys.stdout.write(render(args.kind, cfg, args))
    return 0
