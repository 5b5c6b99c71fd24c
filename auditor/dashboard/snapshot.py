"""``auditor dashboard -o DIR``: the overview, every system page and every requirement page
that has results, as a self-contained offline folder (no remote resource: Chart.js and the
styles are copied next to the pages, chart data is inside each page)."""

from __future__ import annotations

import datetime as dt
import shutil
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from auditor.dashboard import data
from auditor.dashboard.charts import overview_charts, system_charts
from auditor.dashboard.i18n import Translator
from auditor.dashboard.render import LinkMaker, Renderer, static_name
from auditor.history import Store
from auditor.history.tables import run_compliance

__all__ = ["write_snapshot"]


def _copy_static(out: Path) -> None:
    src = resources.files("auditor.dashboard").joinpath("static")
    target = out / "static"
    with resources.as_file(src) as folder:
        shutil.copytree(folder, target, dirs_exist_ok=True)


def write_snapshot(store: Store, out: Path, *, lang: str = "vi",
                   filters: data.Filters | None = None,
                   now: dt.datetime | None = None) -> list[Path]:
    """Write the pages into ``out``; returns the files written (pages only)."""
    f = filters or data.Filters()
    out.mkdir(parents=True, exist_ok=True)
    _copy_static(out)
    renderer = Renderer()
    t = Translator(lang)
    links = LinkMaker(t.lang, static=True)
    generated = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None).isoformat(
        timespec="seconds") + "Z"
    written: list[Path] = []

    def put(name: str, html: str) -> None:
        path = out / name
        path.write_text(html, encoding="utf-8")
        written.append(path)

    with store.db.engine.connect() as conn:
        ov = data.overview_data(conn, f)
        put("index.html", renderer.page("overview.html", ov, lang=t.lang, links=links,
                                        generated=generated, charts=overview_charts(t, ov)))
        names = [s["system"] for g in ov["grid"] for s in g["systems"]]
        for name in names:
            sd = data.system_data(conn, name, f)
            put(static_name("system", name),
                renderer.page("system.html", sd, lang=t.lang, links=links,
                              generated=generated, charts=system_charts(t, sd)))
        pairs = conn.execute(select(run_compliance.c.framework,
                                    run_compliance.c.requirement).distinct()).all()
        for fw, req in sorted((str(a), str(b)) for a, b in pairs):
            if f.framework and fw != f.framework:
                continue
            rd = data.requirement_data(conn, fw, req)
            put(static_name("requirement", fw, req),
                renderer.page("requirement.html", rd, lang=t.lang, links=links,
                              generated=generated))
    return written
