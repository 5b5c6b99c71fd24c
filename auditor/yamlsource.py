"""Safe YAML loading that remembers where each value came from.

Rule packs, framework files and suppression files are validated after loading; to name
the line of a problem, we keep the composed node tree next to the plain data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import RulePackError
from auditor.nesting import NestingError, yaml_nesting

__all__ = ["YamlDocument", "load_yaml", "safe_load"]


@dataclass(frozen=True, slots=True)
class YamlDocument:
    path: str
    data: Any
    node: yaml.Node | None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """1-based line of the value at ``path`` (keys and list indexes), as deep as found."""
        node = self.node
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for part in path:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                        child = value_node
                        line = key_node.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                    and 0 <= part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line


#: libyaml's parser when PyYAML was built with it (about 10x faster), else pure Python;
#: both construct with the safe constructor: no tags that build Python objects
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser when available (package data files)."""
    return yaml.load(text, Loader=_LOADER)


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once: the node tree (for line numbers) and the plain data built from it."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


#: values a rule pack or framework file may hold once its aliases are expanded; the
#: built-in packs hold a few thousand. Anything that prints or copies the data (``packs
#: show``, parameters in reports) expands aliases, so a small "alias bomb" is refused here.
MAX_EXPANDED_NODES = 200_000


def _alias_bomb_line(root: yaml.Node | None, limit: int = MAX_EXPANDED_NODES) -> int | None:
    """The 1-based line of the first collection whose expanded size passes ``limit``
    (aliases counted every time they are used), or that contains itself; else None.
    Depth-first without recursion; a shared node is sized once."""
    if root is None:
        return None
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children: list[yaml.Node] = (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
            else list(node.value))
        if not done:
            if id(node) in sizes:
                continue
            if id(node) in open_nodes:  # an alias to an enclosing collection
                return node.start_mark.line + 1
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        open_nodes.discard(id(node))
        total = 1
        for child in children:
            total += sizes[id(child)]
            if total > limit:
                return node.start_mark.line + 1
        sizes[id(node)] = total
    return None


def load_yaml(path: str | Path, *, error: type[RulePackError] = RulePackError) -> YamlDocument:
    """Read one YAML document safely (no tags that construct Python objects)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(str(path), "file not found") from None
    except UnicodeDecodeError as exc:
        raise error(str(path), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(str(path), f"cannot read: {exc.strerror}") from None
    try:
        yaml_nesting(text)
    except NestingError as exc:
        raise error(str(path), f"invalid YAML: {exc}", line=exc.line) from None
    try:
        node, data = _compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(str(path), f"invalid YAML: {problem}", line=line) from None
    except yaml.YAMLError as exc:
        raise error(str(path), f"invalid YAML: {exc}") from None
    bomb = _alias_bomb_line(node)
    if bomb is not None:
        raise error(str(path), f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} "
                    "values (an alias bomb?)", line=bomb)
    return YamlDocument(str(path), data, node)
