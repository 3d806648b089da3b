"""Where each mapping key and value sits in a YAML text, so an error can point at ``file:line:column``.

Pure. An error placed only by its path (``series[0].horizn_days``) still
sends a person counting list items in a long file; PyYAML's composed nodes
know the line and column of every key and value, kept here by path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")

Path = tuple[int | str, ...]


@dataclass(frozen=True)
class Position:
    """1-based, as editors and compilers count."""

    line: int
    column: int

    @classmethod
    def of(cls, mark: yaml.Mark) -> Position:
        return cls(mark.line + 1, mark.column + 1)


@dataclass(frozen=True)
class Positions:
    """Each key's and each value's position by its path in the document (list indexes as ints)."""

    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    @classmethod
    def of(cls, root: yaml.Node | None) -> Positions:
        found = cls()
        if root is not None:
            found._walk(root, ())
        return found

    def _walk(self, node: yaml.Node, path: Path) -> None:
        self.values.setdefault(path, Position.of(node.start_mark))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                inner = (*path, str(key_node.value))
                self.keys.setdefault(inner, Position.of(key_node.start_mark))
                self._walk(value_node, inner)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*path, index))

    def find(self, where: str, *, key: bool = False) -> Position | None:
        """The position of ``where`` (``series[2].sessions[0].type``), or of its nearest ancestor in the file.

        ``key`` asks for the key's position rather than the value's: an
        unknown field is pointed at by its name. A path the file does not hold
        (a field left out) is placed at the deepest part that it does hold.
        """
        path = parse_path(where)
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get(())


def parse_path(where: str) -> Path:
    """'series[2].sessions[0].type' -> ('series', 2, 'sessions', 0, 'type'); the inverse of field_path."""
    parts: list[int | str] = []
    for index, name in _PART.findall(where):
        parts.append(int(index) if index else name)
    return tuple(parts)
