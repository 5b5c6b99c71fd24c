"""Service configuration scanner (placeholder until the parsers land)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanOptions, Scanner

__all__ = ["ServicesScanner"]


class ServicesScanner(Scanner):
    name = "services"
    description = "nginx, Apache, sshd, PostgreSQL, pg_hba, MySQL and Redis configuration"
    emits: ClassVar[tuple[str, ...]] = ()

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        return iter(())
