"""YAML that remembers lines: where in a scenario file each value was written.

:func:`load_yaml` is the one reader of scenario files: ``python -m mock_exchange serve
--scenario`` and the ``scenarios`` loader both use it, so a YAML error and every later
problem point at the same ``file:line``.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["PathKey", "YamlError", "line_of", "load_yaml"]

PathKey = tuple[str | int, ...]


class YamlError(ValueError):
    """Text that is not YAML; ``line`` is where the parser gave up (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _to_python(
    loader: yaml.SafeLoader, node: yaml.Node, path: PathKey, lines: dict[PathKey, int]
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            out[str(key)] = _to_python(loader, value_node, (*path, str(key)), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(loader, n, (*path, i), lines) for i, n in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_yaml(text: str) -> tuple[Any, dict[PathKey, int]]:
    """Parse one YAML document; return it and the line of every value by its key path.

    Raises:
        YamlError: the text is not YAML (``invalid YAML: ...`` at the line it broke).
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[PathKey, int] = {}
        data = _to_python(loader, node, (), lines) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise YamlError(line, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(1, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, lines


def line_of(lines: dict[PathKey, int], path: PathKey) -> int:
    """Return the line of ``path``, or of its nearest parent that has one (1 at worst)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)
