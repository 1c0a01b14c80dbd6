"""Every tensor under an unpickled object, with its dotted path (state dicts, module trees).

A pickle can share one sub-object many times (the memo), so a naive walk of 40 levels that
each point twice at the level below visits 2**40 paths: an 888-byte file took a minute. Each
container is walked once and its relative paths are remembered; the paths found in total,
the depth and the length of each name are bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rvwheels_runtime.weights.allowed import Placeholder
from rvwheels_runtime.weights.errors import WeightsError
from rvwheels_runtime.weights.limits import MAX_NAME_CHARS, MAX_TENSOR_PATHS, MAX_TREE_DEPTH
from rvwheels_runtime.weights.refs import TensorRef

Paths = list[tuple[str, TensorRef]]  # ("a.b.", ref): dotted path with a trailing dot


def tensor_paths(root: Any, source: str) -> dict[str, TensorRef]:
    """``{"generator.model.1.ffc.convl2l.weight": ref, ...}`` for every tensor under ``root``."""
    return {path.rstrip("."): ref for path, ref in _Walk(source).paths(root, 0)}


class _Walk:
    def __init__(self, source: str) -> None:
        self.source = source
        self.done: dict[int, Paths] = {}
        self.open: set[int] = set()
        self.found = 0

    def paths(self, node: Any, depth: int) -> Paths:
        if isinstance(node, TensorRef):
            return [("", node)]
        children = _children(node)
        if children is None:
            return []
        if id(node) in self.done:
            return self.done[id(node)]
        if id(node) in self.open or depth >= MAX_TREE_DEPTH:
            msg = f"{self.source}: objects nested too deeply or in a cycle: damaged file?"
            raise WeightsError(msg)
        self.open.add(id(node))
        found: Paths = []
        for name, child in children:
            for path, ref in self.paths(child, depth + 1):
                found.append((self._joined(name, path), ref))
        self.open.discard(id(node))
        self.done[id(node)] = found  # the node stays alive in the tree, so its id is not reused
        return found

    def _joined(self, name: str, path: str) -> str:
        self.found += 1
        if self.found > MAX_TENSOR_PATHS:
            msg = (
                f"{self.source}: more than {MAX_TENSOR_PATHS} tensor names (shared sub-objects "
                "reached along many paths?): damaged or hostile file"
            )
            raise WeightsError(msg)
        if len(name) + len(path) >= MAX_NAME_CHARS:
            msg = f"{self.source}: a tensor name longer than {MAX_NAME_CHARS} characters"
            raise WeightsError(msg)
        return f"{name}.{path}"


def _children(node: Any) -> Iterable[tuple[str, Any]] | None:
    """The named children of a state dict or module, or None for a leaf."""
    if isinstance(node, Placeholder) and isinstance(node.state, Mapping):
        node = _module_attributes(node.state)
    if not isinstance(node, Mapping):
        return None
    return [(name, value) for key, value in node.items() if (name := _name(key)) is not None]


def _name(key: Any) -> str | None:
    if isinstance(key, str):
        return key
    if isinstance(key, int) and key.bit_length() <= 64:  # bools too, as "True"
        return str(key)
    return None


def _module_attributes(state: Mapping[Any, Any]) -> Mapping[Any, Any]:
    # A pickled nn.Module keeps tensors in _parameters/_buffers and children in _modules; a
    # TorchScript module keeps them all as plain attributes.
    if "_modules" not in state:
        return state
    merged: dict[Any, Any] = {}
    for part in ("_parameters", "_buffers", "_modules"):
        value = state.get(part)
        if isinstance(value, Mapping):
            merged.update(value)
    return merged
