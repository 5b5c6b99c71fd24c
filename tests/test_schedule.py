"""``auditor schedule --print``: cron to systemd calendar, and the generated units, crontab
and CronJob (checked by systemd-analyze where it is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from auditor.cli import main
from auditor.cli.commands.schedule import cron_to_oncalendar
from auditor.errors import ConfigError


@pytest.mark.parametrize(("cron", "calendar"), [
    ("30 2 * * *", "*-*-* 02:30:00"),
    ("0 * * * *", "*-*-* *:00:00"),
    ("*/15 * * * *", "*-*-* *:00/15:00"),
    ("0 3 * * 1-5", "Mon..Fri *-*-* 03:00:00"),
    ("0 3 * * sun", "Sun *-*-* 03:00:00"),
    ("0 3 * * 0,6", "Sun,Sat *-*-* 03:00:00"),
    ("0 3 * * 7", "Sun *-*-* 03:00:00"),
    ("5 4 1 */3 *", "*-1/3-1 04:05:00"),
    ("0 22 1,15 jan-jun *", "*-1..6-1,15 22:00:00"),
    ("0 8-18/2 * * *", "*-*-* 08..18/02:00:00"),
])
def test_cron_to_oncalendar(cron: str, calendar: str) -> None:
    assert cron_to_oncalendar(cron) == calendar
    analyze = shutil.which("systemd-analyze")
    if analyze:  # systemd agrees that it is a valid calendar expression
        subprocess.run([analyze, "calendar", calendar], check=True, capture_output=True)


@pytest.mark.parametrize(("cron", "message"), [
    ("0 3 1 * 1", "give only one of them"),
    ("61 * * * *", "out of range"),
    ("0 3 * * L", "not supported"),
    ("0 3 * *", "five fields"),
])
def test_cron_that_cannot_be_translated(cron: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cron_to_oncalendar(cron)


def config(tmp_path: Path) -> Path:
    path = tmp_path / "auditor.yaml"
    path.write_text("""\
schema_version: 1
schedule: "30 2 * * *"
systems:
  - {name: hr-portal, owner: A, targets: [hr]}
  - {name: payroll, owner: B, targets: [pay]}
  - {name: web, owner: C, targets: [www], schedule: "0 * * * *"}
""")
    return path


def test_systemd_units_with_locking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path)
    assert main(["schedule", "--print", "systemd", "--config", str(cfg),
                 "--auditor", "/usr/local/bin/auditor"]) == 0
    out = capsys.readouterr().out
    units: dict[str, str] = {}
    for chunk in out.split("# /etc/systemd/system/")[1:]:
        name, _, body = chunk.partition("\n")
        units[name] = body
    assert sorted(units) == ["auditor-run-hr-portal.service", "auditor-run-hr-portal.timer",
                             "auditor-run-web.service", "auditor-run-web.timer"]
    service = units["auditor-run-hr-portal.service"]
    assert (f"ExecStart={shutil.which('flock') or '/usr/bin/flock'} --nonblock "
            f"--conflict-exit-code 75 /run/lock/auditor-run-hr-portal.lock "
            f"/usr/local/bin/auditor run --config {cfg.resolve()} -q --system hr-portal "
            f"--system payroll") in service
    assert "Type=oneshot" in service and "SuccessExitStatus=1" in service
    assert "OnCalendar=*-*-* 02:30:00" in units["auditor-run-hr-portal.timer"]
    assert "OnCalendar=*-*-* *:00:00" in units["auditor-run-web.timer"]
    assert "Persistent=true" in units["auditor-run-web.timer"]
    analyze = shutil.which("systemd-analyze")
    if analyze and shutil.which("flock"):
        unit_dir = tmp_path / "units"
        unit_dir.mkdir()
        for name, body in units.items():
            text = body.replace("/usr/local/bin/auditor", shutil.which("true") or "/bin/true")
            (unit_dir / name).write_text(text)
        done = subprocess.run([analyze, "verify", *(str(p) for p in unit_dir.iterdir())],
                              check=False, capture_output=True, text=True)
        problems = [ln for ln in done.stderr.splitlines() if "auditor-run" in ln]
        assert problems == [], done.stderr


def test_cron_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path)
    assert main(["schedule", "--print", "cron", "--config", str(cfg), "--auditor", "auditor",
                 "--lock-dir", "/var/lock", "--system", "web"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln and not ln.startswith("#")]
    flock = shutil.which("flock") or "/usr/bin/flock"
    assert lines == [f"0 * * * * {flock} --nonblock --conflict-exit-code 75 "
                     f"/var/lock/auditor-run-web.lock auditor run --config {cfg.resolve()} "
                     f"-q --system web"]


def test_kubernetes_cronjob_forbids_overlap(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path)
    assert main(["schedule", "--print", "kubernetes", "--config", str(cfg),
                 "--image", "registry.local/auditor:0.1", "--namespace", "security"]) == 0
    docs = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [d["metadata"]["name"] for d in docs] == ["auditor-run-hr-portal", "auditor-run-web"]
    job = docs[0]
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "CronJob")
    assert job["spec"]["schedule"] == "30 2 * * *"
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "registry.local/auditor:0.1"
    assert container["args"] == ["run", "--config", "/etc/auditor/auditor.yaml", "-q",
                                 "--system", "hr-portal", "--system", "payroll",
                                 "--reports", "/var/lib/auditor/reports"]
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"]


def test_no_schedule_anywhere_is_exit_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "auditor.yaml"
    path.write_text("schema_version: 1\nsystems:\n  - {name: a, owner: A, targets: [x]}\n")
    assert main(["schedule", "--print", "cron", "--config", str(path)]) == 2
    assert "no system has a schedule" in capsys.readouterr().err
