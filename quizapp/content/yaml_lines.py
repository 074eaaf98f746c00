"""YAML loading that remembers where every mapping and key came from.

Content errors must name a file and a line. PyYAML's safe loader is extended so that each
mapping becomes a :class:`LineDict` that knows its own line and the line of each key, and so
that a key repeated in one mapping is reported instead of silently overwritten.
"""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict):
    """A dict from YAML with ``line`` (1-based) and ``key_lines`` (key -> line)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of ``key`` if present, else the mapping's own line."""
        return getattr(self, "key_lines", {}).get(key, self.line)


class YamlSyntaxError(Exception):
    """Malformed YAML, with the 1-based line where the parser stopped."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            key = str(key) if not isinstance(key, str) else key
            if key in mapping:
                self.duplicate_keys.append((key_node.start_mark.line + 1, key))
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
# Dates stay text: '19 January 1990' and '1990-01-19' are content, not datetime objects.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, first_line: int = 1) -> tuple[Any, list[tuple[int, str]]]:
    """Parse YAML text; return the data and the (line, key) of any duplicated keys.

    ``first_line`` shifts line numbers, for YAML embedded after other lines (front matter).
    Raises :class:`YamlSyntaxError` for malformed input.
    """
    try:
        loader = _LineLoader(text)  # the reader refuses control characters here already
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(first_line, str(exc).splitlines()[0]) from None
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        raise YamlSyntaxError(line, f"{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(first_line, str(exc).splitlines()[0]) from None
    finally:
        loader.dispose()
    if first_line != 1:
        _shift(data, first_line - 1)
    duplicates = [(line + first_line - 1, key) for line, key in loader.duplicate_keys]
    return data, duplicates


def _shift(data: Any, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift(value, offset)
    elif isinstance(data, list):
        for value in data:
            _shift(value, offset)


def line_of(value: Any, default: int = 1) -> int:
    """The line of a parsed value if it is a mapping, else ``default``."""
    return value.line if isinstance(value, LineDict) and value.line else default
