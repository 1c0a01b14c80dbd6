"""Generators of hostile weights files, part two: what a pickle may call. Code-execution
gadgets, codecs that raised LookupError, and BUILD on what every load shares (cross-load
poisoning). See :mod:`hostile` for the building blocks."""

from __future__ import annotations

from weights.hostile import MARKER, Case, both, build, deep_tuple, payload_file, storage_ref
from weights.torchfiles import MARK, call, dict_of, name, tensor, text, tuple_of

_CODECS = ("zlib_codec", "no-such-codec", "punycode", "rot13", "base64", "utf-16")


def codec_cases() -> list[Case]:
    """LookupError tracebacks from unknown codecs; codecs that inflate or run slowly."""
    cases = []
    for codec in _CODECS:
        payloads = {
            "codecs-encode": call(name("_codecs", "encode"), text("x"), text(codec)),
            "str": call(name("builtins", "str"), b"C\x01x", text(codec)),
            "bytes": call(name("builtins", "bytes"), text("x"), text(codec)),
        }
        for label, payload in payloads.items():
            write = payload_file(payload, legacy=False, generator=True, walked=False)
            cases.append(Case(f"codec-{label}-{codec}-zip", write, "text codec"))
    errors = call(name("builtins", "str"), b"C\x01x", text("utf-8"), text("no-such-handler"))
    deep_errors = call(name("_codecs", "encode"), text("x"), text("utf-8"), deep_tuple())
    return [
        *cases,
        *both("codec-error-handler", errors, "text codec", generator=True),
        *both("codec-deep-error-handler", deep_errors, "text codec", generator=True),
        *both("codecs-encode-of-list", call(name("_codecs", "encode"), b"]"), "encode of a list"),
    ]


_GADGETS = [
    ("os", "system"), ("posix", "system"), ("nt", "system"), ("subprocess", "Popen"),
    ("subprocess", "run"), ("subprocess", "check_output"), ("builtins", "eval"),
    ("builtins", "exec"), ("builtins", "compile"), ("builtins", "__import__"),
    ("builtins", "getattr"), ("builtins", "setattr"), ("builtins", "open"),
    ("builtins", "globals"), ("builtins", "type"), ("builtins", "breakpoint"),
    ("__builtin__", "eval"), ("importlib", "import_module"), ("runpy", "run_path"),
    ("pickle", "loads"), ("_pickle", "loads"), ("marshal", "loads"), ("ctypes", "CDLL"),
    ("operator", "attrgetter"), ("functools", "partial"), ("shutil", "rmtree"),
    ("webbrowser", "open"), ("pty", "spawn"), ("timeit", "timeit"), ("sys", "exit"),
    ("socket", "create_connection"), ("copy_reg", "_reconstructor"), ("torchvision", "ops"),
    ("torch_evil", "system"),
]  # fmt: skip
_COMMAND = text(f"touch {MARKER}")


def gadget_cases() -> list[Case]:
    """Code execution: every way a pickle can name and call something, with a complete
    generator beside it; and namespaces that only make inert placeholders."""
    calls = {f"{m}.{n}": call(name(m, n), _COMMAND) for m, n in _GADGETS}
    calls |= {
        "inst": MARK + _COMMAND + b"ios\nsystem\n",
        "obj": MARK + name("posix", "system") + _COMMAND + b"o",
        "newobj": name("posix", "system") + tuple_of(_COMMAND) + b"\x81",
        "stack-global": call(text("os") + text("system") + b"\x93", _COMMAND),
        "reconstructor": call(name("copyreg", "_reconstructor"), name("os", "system"), b"NN"),
        "reconstructor-of-function": call(
            name("copyreg", "_reconstructor"), name("_codecs", "encode"), b"N", _COMMAND
        ),
    }
    cases = [
        case
        for label, payload in calls.items()
        for case in both(
            f"gadget-{label}", payload, "refusing to load|_reconstructor of", generator=True
        )
    ]
    inert = ["torch.load", "numpy.load", "torch.jit.load", "torch.storage._load_from_bytes"]
    inert += ["__torch__.os.system", "numpy.f2py.compile"]
    for dotted in inert:
        module, attribute = dotted.rsplit(".", 1)
        cases += both(
            f"inert-{dotted}", call(name(module, attribute), _COMMAND), "no LaMa generator"
        )
    return cases


def kwdefaults_state() -> bytes:
    """BUILD state ``(None, {"__kwdefaults__": {"dtype": "float16"}})``: setattr on the target."""
    kwdefaults = dict_of([(text("__kwdefaults__"), dict_of([(text("dtype"), text("float16"))]))])
    return tuple_of(b"N", kwdefaults)


def poisoning_cases() -> list[Case]:
    """Cross-load poisoning: BUILD (or SETITEM, APPEND) on what every load shares. Each file
    carries a complete generator; the runner loads a genuine file after each one."""
    slots = kwdefaults_state()
    targets = {
        "rebuild-tensor-v2": name("torch._utils", "_rebuild_tensor_v2"),
        "rebuild-tensor-v3": name("torch._utils", "_rebuild_tensor_v3"),
        "ordereddict-class": name("collections", "OrderedDict"),
        "dict-type": name("builtins", "dict"),
        "bytes-type": name("builtins", "bytes"),
        "placeholder-class": name("torch.nn", "Module"),
        "reconstructor": name("copyreg", "_reconstructor"),
        "codecs-encode": name("_codecs", "encode"),
        "storage-type": name("torch", "FloatStorage"),
        "torch-dtype": name("torch", "float16"),
    }
    cases = [
        case
        for label, target in targets.items()
        for case in both(f"poison-build-{label}", build(target, slots), "BUILD", generator=True)
    ]
    cases += both(
        "poison-build-tensor",
        lambda legacy: build(tensor(storage_ref(legacy=legacy), (1,)), slots),
        "BUILD",
        generator=True,
    )
    ordered = call(name("collections", "OrderedDict"))
    return [
        *cases,
        *both("poison-setitem-class", name("collections", "OrderedDict") + b"NNs", "SETITEM on"),
        *both("poison-append-type", name("builtins", "list") + b"Na", "APPEND to"),
        *both("poison-ordereddict-state", build(ordered, b"]"), "BUILD of an OrderedDict"),
    ]


def call_cases() -> list[Case]:
    return [*codec_cases(), *gadget_cases(), *poisoning_cases()]
