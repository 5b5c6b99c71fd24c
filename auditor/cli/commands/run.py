"""``auditor run``: scan the systems of a configuration file and record each run.

Each selected system is scanned exactly as ``auditor scan`` would scan it (same code
path), its reports go into a new folder ``REPORTS/<system>-<UTC timestamp>`` (a suffix
``-2``, ``-3``... if that exists: a run never overwrites another), the JSON report's
``run.system`` names the system and its owner, and the run is recorded in the results
store. One failing system never stops the others. The exit code follows ``auditor scan``
over all systems: 2 if a system's configuration was unusable, else 1 if a system had a
finding at or above its ``fail_on``, else 3 if a scan was incomplete (or could not be
recorded), else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from auditor.cli.commands import scan as scan_command
from auditor.cli.terminal import add_common_flags
from auditor.errors import ConfigError
from auditor.history import Store, SystemInfo, resolve_store_url
from auditor.pipeline.output import write_reports
from auditor.runconfig import RunConfig, SystemConfig, load_config
from auditor.runconfig.model import Scalar

__all__ = ["ENV_CONFIG", "open_config_store", "register", "run", "scan_argv"]

ENV_CONFIG = "AUDITOR_CONFIG"
_PRECEDENCE = (2, 1, 3)


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="scan the systems of auditor.yaml and record the runs",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="FILE",
                   help=f"scan configuration (default: ${ENV_CONFIG}, else ./auditor.yaml)")
    p.add_argument("--system", action="append", default=[], metavar="NAME",
                   help="scan only this system (repeatable; default: every system)")
    p.add_argument("--store", metavar="URL",
                   help="results store: sqlite:///PATH or postgresql://USER@HOST/DB "
                        "(default: $AUDITOR_STORE, the config's store:, else the per-user file)")
    p.add_argument("--reports", metavar="DIR",
                   help="folder for the run folders (default: the config's reports:)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="judge every system as of this date")
    p.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes per system")
    p.add_argument("--quiet", "-q", action="store_true", help="only errors")
    p.set_defaults(handler=run)


def config_path(option: str | None) -> str:
    return option or os.environ.get(ENV_CONFIG) or "auditor.yaml"


def _store_password(cfg: RunConfig | None) -> str | None:
    if cfg is None:
        return None
    if cfg.store_password_env:
        value = os.environ.get(cfg.store_password_env)
        if value is None:
            raise ConfigError(f"{cfg.path}: store_password_env: {cfg.store_password_env} "
                              f"is not set")
        return value
    if cfg.store_password_file:
        try:
            return Path(cfg.store_password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{cfg.store_password_file}: cannot read store_password_file: "
                              f"{exc.strerror}") from None
    return None


def open_config_store(option: str | None, cfg: RunConfig | None) -> Store:
    """The store named by ``--store``, ``$AUDITOR_STORE``, the config, or the default."""
    url = resolve_store_url(option, cfg.store if cfg else None)
    return Store.open(url, password=_store_password(cfg))


def _value(value: Scalar, *, quote: bool = True) -> str:
    """A ``--param`` value (YAML-read: text is quoted) or ``--option`` value (plain text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if quote else value
    return str(value)


def scan_argv(system: SystemConfig, out_dir: Path, *, as_of: str | None = None,
              jobs: int | None = None) -> list[str]:
    """The ``auditor scan`` arguments that scan ``system`` (targets may hold a password
    read from the environment: this list is never printed)."""
    s = system.settings
    argv = [t.locator() for t in system.targets]
    for pack in s.packs or ():
        argv += ["--pack", pack]
    if s.default_packs is False:
        argv.append("--no-default-packs")
    for fw in s.frameworks or ():
        argv += ["--framework", fw]
    argv += ["--format", ",".join(system.formats or ("json",)), "-o", str(out_dir), "-q"]
    for name, value in sorted((s.params or {}).items()):
        argv += ["--param", f"{name}={_value(value)}"]
    for name, value in sorted((s.options or {}).items()):
        argv += ["--option", f"{name}={_value(value, quote=False)}"]
    for glob in s.ignore or ():
        argv += ["--ignore", glob]
    pairs = (("--fail-on", s.fail_on), ("--as-of", as_of or s.as_of), ("--lang", s.lang),
             ("--suppressions", s.suppressions), ("--baseline", s.baseline),
             ("--jobs", jobs if jobs is not None else s.jobs), ("--max-size", s.max_size),
             ("--time-budget", s.time_budget))
    for flag, val in pairs:
        if val is not None:
            argv += [flag, str(val)]
    return argv


def _scan_namespace(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="auditor", add_help=False)
    sub = parser.add_subparsers(dest="command")
    scan_command.register(sub)
    add_common_flags(sub.choices["scan"])  # NOTE: as the real CLI does (-v, --no-color)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return parser.parse_args(["scan", *argv])
    except SystemExit:
        lines = [ln for ln in err.getvalue().splitlines() if "error:" in ln]
        raise ConfigError(lines[-1].split("error:", 1)[1].strip() if lines
                          else "invalid scan settings") from None


def new_run_dir(reports: Path, system: str, now: dt.datetime) -> Path:
    """A folder that did not exist before: ``<system>-<YYYYmmddTHHMMSSZ>[-N]``."""
    reports.mkdir(parents=True, exist_ok=True)
    stem = f"{system}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    for n in range(1, 10_000):
        path = reports / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise ConfigError(f"{reports}: cannot create a new run folder for {system}")


def _framework_defaults(system: SystemConfig) -> dict[str, dict[str, Scalar]]:
    out: dict[str, dict[str, Scalar]] = {}
    if system.level is not None:
        out["vn-infosec-levels"] = {"level": system.level}
    for fw, params in (system.settings.framework_params or {}).items():
        out.setdefault(fw, {}).update(params)
    return out


def _scan_system(system: SystemConfig, cfg: RunConfig, store: Store,
                 args: argparse.Namespace) -> int:
    out_dir = new_run_dir(Path(args.reports or cfg.reports), system.name, dt.datetime.now(dt.UTC))
    try:
        ns = _scan_namespace(scan_argv(system, out_dir, as_of=args.as_of, jobs=args.jobs))
    except ConfigError:
        out_dir.rmdir()
        raise
    ns.framework_defaults = _framework_defaults(system)
    scope = [t.url for t in system.targets]
    meta: dict[str, Any] = {**system.metadata(), "scope": scope}
    clock = time.monotonic()
    outcome = scan_command.perform(ns, extra={"system": meta, "config": cfg.path})
    duration = time.monotonic() - clock
    result = outcome.result
    write_reports(result, outcome.reporters, outcome.formats or ["json"], out_dir,
                  outcome.render)
    code = outcome.exit_code
    try:
        recorded = store.record(result, SystemInfo(system.name, system.owner, system.title,
                                                   system.level, tuple(scope)),
                                report_dir=str(out_dir), duration_s=round(duration, 3))
    except Exception as exc:  # NOTE: the reports are written; the run is incomplete
        sys.stderr.write(f"auditor: {system.name}: the run could not be recorded in "
                         f"{store.display} ({type(exc).__name__})\n")
        return 1 if code == 1 else 3
    if not args.quiet:
        c = recorded.counts
        sys.stdout.write(
            f"{system.name}: {len(result.active_findings)} open findings "
            f"({c.get('new_count', 0)} new, {c.get('fixed_count', 0)} fixed, "
            f"{c.get('reopened_count', 0)} reopened) -> {out_dir} "
            f"[run {recorded.run_id}, exit {code}]\n")
    return code


def combine(codes: list[int]) -> int:
    """One exit code over all systems: 2, then 1, then 3, else 0."""
    for code in _PRECEDENCE:
        if code in codes:
            return code
    return 0


def run(args: argparse.Namespace) -> int:
    cfg = load_config(config_path(args.config))
    systems = cfg.select(args.system)
    if not systems:
        raise ConfigError(f"{cfg.path}: no systems to scan")
    codes: list[int] = []
    with open_config_store(args.store, cfg) as store:
        for system in systems:
            try:
                codes.append(_scan_system(system, cfg, store, args))
            except ConfigError as exc:
                sys.stderr.write(f"auditor: {system.name}: error: {exc}\n")
                codes.append(2)
            except Exception as exc:  # NOTE: one failing system never stops the others
                sys.stderr.write(f"auditor: {system.name}: failed ({type(exc).__name__})\n")
                codes.append(3)
    return combine(codes)
