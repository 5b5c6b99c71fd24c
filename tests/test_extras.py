"""The ``all`` extra installs every optional runtime feature (dev extras aside)."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO

DEV_EXTRAS = {"test", "lint", "typecheck", "all"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def test_all_extra_covers_every_feature_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    everything = {_name(r) for r in extras["all"]}
    for extra, requirements in extras.items():
        if extra in DEV_EXTRAS:
            continue
        missing = {_name(r) for r in requirements} - everything
        assert not missing, f"extra {extra!r}: add {sorted(missing)} to the 'all' extra"
    # the results store's own requirements are part of every install and of `all`
    core = {_name(r) for r in project["dependencies"]}
    assert {"sqlalchemy", "alembic", "psycopg"} <= core & everything
