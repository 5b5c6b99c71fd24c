"""Chart specifications (labels and data sets) for ``static/dashboard.js``; every chart
is also rendered as a table by the templates from the same data."""

from __future__ import annotations

from typing import Any

from auditor.dashboard.i18n import Translator

__all__ = ["overview_charts", "system_charts"]

COLOURS = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#d97706", "low": "#2563eb",
           "info": "#6b7280", "new": "#dc2626", "fixed": "#16a34a", "subjects": "#7c3aed",
           "pass": "#16a34a", "fail": "#dc2626"}


def _labels(t: Translator, points: list[dict[str, Any]], key: str) -> list[str]:
    return [t.when(p[key], date_only=True) for p in points]


def _open(t: Translator, points: list[dict[str, Any]], key: str) -> dict[str, Any]:
    sev = list(points[0]["open"]) if points else []
    return {"id": "open", "type": "line", "stacked": True, "labels": _labels(t, points, key),
            "datasets": [{"label": t(s), "colour": COLOURS[s],
                          "data": [p["open"][s] for p in points]} for s in sev]}


def _new_fixed(t: Translator, points: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {"id": "newfixed", "type": "bar", "labels": _labels(t, points, key),
            "datasets": [{"label": t("new"), "colour": COLOURS["new"],
                          "data": [p["new"] for p in points]},
                         {"label": t("fixed"), "colour": COLOURS["fixed"],
                          "data": [p["fixed"] for p in points]}]}


def _subjects(t: Translator, points: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {"id": "subjects", "type": "line", "labels": _labels(t, points, key),
            "datasets": [{"label": t("subjects"), "colour": COLOURS["subjects"],
                          "data": [p["subjects"] for p in points]}]}


def overview_charts(t: Translator, d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    points = d["series"]
    fw = d["frameworks"]
    title = "title_vi" if t.lang == "vi" else "title"
    return {
        "frameworks": {"id": "frameworks", "type": "bar", "horizontal": True,
                       "stacked": True, "labels": [f[title] for f in fw],
                       "datasets": [{"label": t("pass"), "colour": COLOURS["pass"],
                                     "data": [f["pass"] for f in fw]},
                                    {"label": t("fail"), "colour": COLOURS["fail"],
                                     "data": [f["fail"] for f in fw]}]},
        "open": _open(t, points, "day"),
        "newfixed": _new_fixed(t, points, "day"),
        "subjects": _subjects(t, points, "day"),
    }


def system_charts(t: Translator, d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    points = d["series"]
    return {
        "open": _open(t, points, "at"),
        "newfixed": _new_fixed(t, points, "at"),
        "requirements": {"id": "requirements", "type": "line", "stacked": False,
                         "labels": _labels(t, points, "at"),
                         "datasets": [{"label": t("pass"), "colour": COLOURS["pass"],
                                       "data": [p["requirements"]["pass"] for p in points]},
                                      {"label": t("fail"), "colour": COLOURS["fail"],
                                       "data": [p["requirements"]["fail"] for p in points]}]},
    }
