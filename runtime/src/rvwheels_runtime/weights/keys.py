"""Dict keys and set members from a file, checked before Python hashes them.

Hashing a tuple hashes its items, recursively and in C without a depth check: a 200 000-deep
tuple used as a key overflows the C stack, and a tuple that shares one sub-tuple at every
level (a few hundred bytes of pickle) takes exponential time. Keys in weights files are
strings, numbers and classes, so anything bigger than a small tuple is refused first.
"""

from __future__ import annotations

from typing import Any

from rvwheels_runtime.weights.errors import BadPickle, describe
from rvwheels_runtime.weights.limits import MAX_KEY_ELEMENTS
from rvwheels_runtime.weights.refs import StorageRef, StorageType, TensorRef, TorchDtype

# Hashed by their fields, which the unpickler fills with short strings and bounded ints.
_FIELD_HASHED = (StorageRef, StorageType, TensorRef, TorchDtype)
# int's hash is linear in its size (counted above); frozenset's is cached from its members'.
_FLAT = (int, str, bytes, float, complex, frozenset)


def key_cost(value: Any) -> int:
    """The number of elements hashing ``value`` visits; BadPickle if it is unhashable or big."""
    cost = 0
    pending = [value]
    while pending:
        item = pending.pop()
        cost += 1 + (item.bit_length() // 64 if isinstance(item, int) else 0)
        if cost > MAX_KEY_ELEMENTS:
            msg = f"a dict key or set member with more than {MAX_KEY_ELEMENTS} elements"
            raise BadPickle(msg)
        if type(item).__hash__ is None:
            msg = f"a dict key or set member that cannot be hashed ({describe(item)})"
            raise BadPickle(msg)
        if isinstance(item, tuple):
            if len(item) > MAX_KEY_ELEMENTS:
                msg = f"a dict key or set member with more than {MAX_KEY_ELEMENTS} elements"
                raise BadPickle(msg)
            pending.extend(item)
        elif isinstance(item, slice):  # hashable since Python 3.12
            pending.extend((item.start, item.stop, item.step))
        elif not _hashes_flat(item):
            msg = f"{describe(item)} as a dict key or set member"
            raise BadPickle(msg)
    return cost


def hash_is_chosen(value: Any) -> bool:
    """Whether the file chooses the key's hash: then many keys can share one hash, or one
    probe path in a dict's table. Strings and bytes are hashed with a per-process salt;
    objects hashed by identity (placeholders, classes) are made by the reader."""
    if value is None or isinstance(value, str | bytes | bool):
        return False
    return type(value).__hash__ is not object.__hash__


def _hashes_flat(item: Any) -> bool:
    return (
        item is None
        or isinstance(item, _FLAT + _FIELD_HASHED)
        or type(item).__hash__ is object.__hash__  # placeholders, classes, functions: by identity
    )
