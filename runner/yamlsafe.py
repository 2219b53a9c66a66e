"""Safe YAML loading that remembers the line of every key.

User files (referentials, targets, attestations, waivers) are read with this module
so that every error can name file, line and key. Only plain YAML is accepted: no
tags beyond the core schema, no anchors or aliases (they make billion-laughs
documents possible and nobody needs them in these files), no duplicate keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem

__all__ = ["MAX_YAML_BYTES", "Located", "load_yaml"]

MAX_YAML_BYTES = 8 * 1024 * 1024
_CORE_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    """YAML data with the 1-based line of each mapping key and sequence item."""

    data: Any
    file: Path | None
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of the deepest known prefix of `path` (the key itself when known)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def problem(self, path: PathKey, message: str, suggestion: str | None = None) -> Problem:
        """A Problem located at `path` in this file."""
        return Problem(self.file, self.line_of(path), dotted(path), message, suggestion)


def dotted(path: PathKey) -> str:
    """Render a path like `requirements[3].checks[0].with`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml(source: str | bytes | Path, *, file: Path | None = None, cls: type[ConfigError] = ConfigError) -> Located:
    """Parse one YAML document; raise `cls` naming file and line on any problem."""
    if isinstance(source, Path):
        file = source
        try:
            if source.stat().st_size > MAX_YAML_BYTES:
                raise cls([Problem(file, None, "", f"file larger than {MAX_YAML_BYTES} bytes")])
            raw = source.read_bytes()
        except OSError as exc:
            raise cls([Problem(file, None, "", f"cannot read file: {exc.strerror or exc}")]) from None
    else:
        raw = source.encode() if isinstance(source, str) else source
    if len(raw) > MAX_YAML_BYTES:
        raise cls([Problem(file, None, "", f"document larger than {MAX_YAML_BYTES} bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise cls([Problem(file, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise cls([Problem(file, 1, "", "the file is empty")])
        lines: dict[PathKey, int] = {}
        data = _convert(loader, node, (), lines, set(), file, cls)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        raise cls([Problem(file, line, "", f"invalid YAML: {what}")]) from None
    except RecursionError:
        raise cls([Problem(file, None, "", "document nested too deeply")]) from None
    finally:
        loader.dispose()
    return Located(data, file, lines)


def _convert(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    seen: set[int],
    file: Path | None,
    cls: type[ConfigError],
) -> Any:
    line = node.start_mark.line + 1
    if id(node) in seen:
        raise cls([Problem(file, line, dotted(path), "YAML anchors and aliases are not allowed")])
    seen.add(id(node))
    if node.tag not in _CORE_TAGS:
        raise cls([Problem(file, line, dotted(path), f"YAML tag {node.tag!r} is not allowed")])
    lines.setdefault(path, line)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise cls(
                    [Problem(file, key_node.start_mark.line + 1, dotted(path), "mapping keys must be plain strings")]
                )
            key = str(loader.construct_scalar(key_node))
            if key == "<<":
                raise cls(
                    [Problem(file, key_node.start_mark.line + 1, dotted(path), "YAML merge keys are not allowed")]
                )
            if key in out:
                raise cls([Problem(file, key_node.start_mark.line + 1, dotted((*path, key)), "duplicate key")])
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _convert(loader, value_node, (*path, key), lines, seen, file, cls)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            items.append(_convert(loader, item, (*path, i), lines, seen, file, cls))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN cannot round-trip through JSON
        raise cls([Problem(file, line, dotted(path), "NaN is not allowed")])
    return value
