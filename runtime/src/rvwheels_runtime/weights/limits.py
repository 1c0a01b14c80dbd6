"""How much a weights file may make the reader do, whoever wrote it.

Weights are downloaded from strangers, so every size the reader acts on is bounded before it
acts: what a zip member decompresses to, how long a pickle is and how many steps it takes,
how deep and how wide the objects it builds are. Genuine files stay far inside these
bounds; ``runtime/README.md`` lists them with big-lama's own numbers beside them.
"""

from __future__ import annotations

MiB = 1 << 20

# --- zip archives (torch's zip format, TorchScript, .npz) -------------------------------------
# No single record is larger: big-lama's largest tensor is 4.7 MB; a whole generator is 205 MB.
MAX_MEMBER_BYTES = 1024 * MiB
# torch and numpy store records uncompressed (ratio 1); float weights deflate to about 0.93.
MAX_RATIO = 20
# Members this small may compress well (a zero-filled BatchNorm buffer) without counting.
RATIO_FLOOR_BYTES = 64 * 1024
# All members together may unpack to MAX_RATIO times the archive's size, or this much.
TOTAL_FLOOR_BYTES = 64 * MiB
# zipfile parses the whole central directory into objects (about 10 times its size).
# big-lama's generator with its Adam state is 2600 records, 190 kB of directory.
MAX_CENTRAL_DIRECTORY_BYTES = 4 * MiB

# --- pickles (data.pkl, the legacy format's pickles) ------------------------------------------
# A pickle holds metadata only (tensor bytes are stored beside it): 263 kB for big-lama's
# generator with its Adam state.
MAX_PICKLE_BYTES = 16 * MiB
# Every opcode, and every element a constructor copies, is one step; each step may keep about
# a hundred bytes alive. big-lama's generator with its Adam state takes 103 000 (traced: 46 000).
MAX_PICKLE_STEPS = 1_000_000
# Distinct classes one file names (TorchScript names one per traced module: about 630 for
# big-lama); each becomes an inert placeholder class private to that load.
MAX_PLACEHOLDER_CLASSES = 16_384
# A dict key or set member is hashed by recursing in C: tuples in keys stay small and shallow.
MAX_KEY_ELEMENTS = 256
# Keys whose hash the file chooses (numbers, tuples, frozensets; not strings, whose hashes are
# salted per process): colliding ones make a dict quadratic, 100 000 of them minutes of CPU.
# Weights files key by strings and classes, and optimizer state by parameter number: about 550
# ints in big-lama's best.ckpt (533 generator parameters, the discriminator's).
MAX_CHOSEN_HASH_KEYS = 10_000

# --- tensors ----------------------------------------------------------------------------------
# Module trees (TorchScript, pickled nn.Modules) nest a few levels; state dicts one.
MAX_TREE_DEPTH = 100
# Dotted tensor names found while walking (a shared sub-tree counts once per path to it).
MAX_TENSOR_PATHS = 200_000
# The longest dotted tensor name: big-lama's is 57 characters with "generator.".
MAX_NAME_CHARS = 1000
# A tensor header's sizes, strides and offsets, in elements, and its number of dimensions.
MAX_ELEMENTS = 1 << 40
MAX_DIMENSIONS = 64
# Views may overlap (tied weights), but the generator's tensors may not add up to more than
# twice the bytes of the storages they view, plus this much.
OVERLAP_ALLOWANCE_BYTES = 1 * MiB
