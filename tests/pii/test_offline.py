"""The detector never touches the network: socket use fails this test.

Runs in a fresh interpreter so that nothing is imported before the socket guard, with an
empty tldextract cache and without the TLDEXTRACT_* variables (auditor must set them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import socket, sys

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    from auditor.pii import get_detector, DetectorConfig

    detector = get_detector()
    texts = ["email an.nguyen@example.vn, web https://example.com.vn",
             "SĐT +84 912 345 678, CCCD 079203012345, IBAN GB82WEST12345698765432",
             "Khách hàng Nguyễn Văn An, địa chỉ 12 Lê Lợi, Quận 1, TP HCM",
             "contact bob@company.co.uk from 10.0.0.1"]
    results = [detector.detect(t) for t in texts]
    assert all(results), results
    assert "EMAIL_ADDRESS" in {e.type for e in results[0]}
    print("attempts:", len(attempts))
    sys.exit(1 if attempts else 0)
""")


def test_no_network_access(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT")}
    env["TLDEXTRACT_CACHE"] = str(tmp_path / "tld-cache")
    env["HOME"] = str(tmp_path)
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "attempts: 0" in proc.stdout
