"""Coach-edited YAML → pydantic models, with every problem reported as ``file:line: message``.

The YAML is composed into a node tree first (safe loader only) so that pydantic's error locations
(``("criteria", 2, "weight")``) can be mapped back to the line a coach has to edit. A missing key is
reported at the line of the mapping that lacks it; an unknown key at the key's own line.

Hostile files cost bounded time and memory: before anything is composed, one pass over the parser's
events refuses anchors and aliases (a 21 KB alias bomb expands to gigabytes), and bounds the size,
the nesting depth and the number of nodes. Messages show at most a short, truncated value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from interviewer.errors import RubricError, suggest

# libyaml is ~10x faster and keeps the same marks; fall back to the pure-Python loader.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _guarded(fn: Any) -> Any:
    """A scalar constructor whose ValueError (a 5,000-digit int, month 13 in a date) becomes a
    YAML error at the value's line instead of escaping as an internal error."""

    def construct(loader: Any, node: yaml.Node) -> Any:
        try:
            return fn(loader, node)
        except (ValueError, OverflowError) as exc:
            reason = str(exc).split(":")[0][:80]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value ({reason})", node.start_mark
            ) from None

    return construct


class _SafeLoader(_Loader):  # type: ignore[valid-type,misc]
    """The safe loader with scalar constructors that fail as YAML errors."""


for _tag in ("int", "float", "timestamp"):
    _tag = "tag:yaml.org,2002:" + _tag
    _SafeLoader.add_constructor(_tag, _guarded(_Loader.yaml_constructors[_tag]))

# A shipped rubric is ~20 KB, ~2,000 nodes and 6 levels deep; these leave a wide margin.
MAX_YAML_CHARS = 1_000_000
MAX_YAML_DEPTH = 40
MAX_YAML_NODES = 100_000

M = TypeVar("M", bound=BaseModel)
Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Source:
    """One parsed YAML document: the display name, the plain data and the node tree."""

    name: str
    data: Any
    root: yaml.Node

    def line(self, loc: Loc) -> int:
        return locate(self.root, loc)

    def error(self, loc: Loc, message: str) -> str:
        return f"{self.name}:{locate(self.root, loc)}: {message}"


def read_text(path: Path, name: str) -> str:
    """Read a YAML file as UTF-8; binary or undecodable files become one RubricError message."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError([f"{name}:1: cannot read file: {exc.strerror or exc}"]) from None
    return decode(raw, name)


def decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise RubricError([f"{name}:{line}: binary file (NUL byte); expected UTF-8 YAML text"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise RubricError(
            [f"{name}:{line}: not UTF-8 text (byte 0x{bad}); save the file as UTF-8"]
        ) from None


def _yaml_error(name: str, exc: yaml.YAMLError) -> RubricError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = (exc.problem or "invalid YAML").strip()
        context = f" ({exc.context.strip()})" if exc.context else ""
        return RubricError([f"{name}:{line}: invalid YAML: {problem}{context}"])
    # Reader errors (control characters) carry no mark.
    return RubricError([f"{name}:1: invalid YAML: {str(exc).splitlines()[0][:120]}"])


def check_events(text: str, name: str) -> None:
    """Refuse what could make composing or constructing ``text`` expensive, at its line.

    Runs over the parser's event stream, which holds no tree: anchors and aliases (never
    needed in a rubric, and the only way to make a small file expand), too deep nesting and
    too many nodes. Raises RubricError; malformed YAML is left for :func:`compose` to report.
    """
    if len(text) > MAX_YAML_CHARS:
        raise RubricError(
            [
                f"{name}:1: file too large ({len(text):,} characters; the limit is "
                f"{MAX_YAML_CHARS:,})"
            ]
        )
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            line = event.start_mark.line + 1 if event.start_mark is not None else 1
            if isinstance(event, yaml.AliasEvent):
                raise RubricError(
                    [
                        f"{name}:{line}: YAML aliases (*{_short_name(event.anchor)}) are not "
                        "allowed; write the value out in full"
                    ]
                )
            if isinstance(event, yaml.NodeEvent):
                if event.anchor is not None:
                    raise RubricError(
                        [
                            f"{name}:{line}: YAML anchors (&{_short_name(event.anchor)}) are not "
                            "allowed; write the value out in full"
                        ]
                    )
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    raise RubricError(
                        [f"{name}:{line}: too many YAML values (the limit is {MAX_YAML_NODES:,})"]
                    )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise RubricError(
                        [f"{name}:{line}: nested too deeply (the limit is {MAX_YAML_DEPTH} levels)"]
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # compose() reports malformed YAML with its usual message


def _short_name(anchor: str | None) -> str:
    return (anchor or "")[:30]


def compose(text: str, name: str) -> Source:
    """Parse YAML text into a Source; malformed YAML raises RubricError at the offending line."""
    check_events(text, name)
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise RubricError([f"{name}:1: empty file; expected a YAML mapping"])
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise _yaml_error(name, exc) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise RubricError([f"{name}:{root.start_mark.line + 1}: expected a mapping, got {kind}"])
    return Source(name, data, root)


def duplicate_keys(src: Source) -> list[str]:
    """safe_load silently keeps the last of two equal keys; a coach almost never means that."""
    out: list[str] = []
    stack: list[yaml.Node] = [src.root]
    seen_nodes: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:  # aliases can share nodes
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in first:
                        out.append(
                            f"{src.name}:{line}: duplicate key {key.value!r} "
                            f"(first at line {first[key.value]})"
                        )
                    else:
                        first[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


def locate(root: yaml.Node, loc: Loc) -> int:
    """The 1-based line for a pydantic location.

    Walks the node tree; when a step goes through a mapping key the key's line is used (so a
    folded ``description: >-`` points at ``description``), a list item uses the item's line, and
    a key that does not exist (a missing field) stops at the mapping that should hold it.
    """
    node: yaml.Node | None = root
    line = root.start_mark.line + 1
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def validate(
    model: type[M], src: Source, *, skip: tuple[str, ...] = ()
) -> tuple[M | None, list[str]]:
    """Validate ``src.data`` against ``model``; return the model or friendly error lines.

    ``skip`` drops whole-model validator messages the caller has already reported with a better
    line (e.g. duplicate ids, which the caller locates at the duplicate itself).
    """
    try:
        return model.model_validate(src.data), []
    except ValidationError as exc:
        out = []
        for err in exc.errors(include_url=False):
            text = _message(model, err)
            if any(s in text for s in skip):
                continue
            out.append(f"{src.name}:{locate(src.root, tuple(err['loc']))}: {text}")
        return None, out


def render_loc(loc: Loc) -> str:
    """``("criteria", 2, "weight")`` → ``criteria[2].weight``."""
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any) -> str:
    """At most ~60 characters of a value, never rendering more of it than that (a value can be
    large; ``repr`` of a whole nested structure just to cut it would cost its full size)."""
    if isinstance(value, str):
        text = repr(value[:60])
    elif isinstance(value, int) and value.bit_length() > 200:
        return "a very large number"
    elif isinstance(value, bool | int | float) or value is None:
        text = repr(value)
    elif isinstance(value, dict | list | tuple | set):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    else:
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def _message(model: type[BaseModel], err: ErrorDetails) -> str:
    kind = err["type"]
    loc: Loc = tuple(err["loc"])
    where = render_loc(loc) or "top level"
    parent = render_loc(loc[:-1]) or "the top level"
    msg = re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
    msg = re.sub(r"^Input should be ", "must be ", msg)
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        fields = _fields_at(model, loc[:-1])
        return f"unknown key {loc[-1]!r} in {parent}{suggest(str(loc[-1]), fields or [])}"
    if kind == "missing":
        return f"missing key {loc[-1]!r} in {parent}"
    if "[key]" in loc:
        i = loc.index("[key]")
        return f"{render_loc(loc[: i - 1]) or 'top level'}: key {_short(loc[i - 1])} {msg}"
    if value is None and kind.endswith("_type"):
        return (
            f"{where}: has no value (an empty entry, or a bare null or ~; quote words like 'null')"
        )
    if kind == "string_type" and isinstance(value, bool | int | float):
        # YAML 1.1 reads yes/no/on/off as booleans and 404 or 1.0 as numbers.
        return (
            f"{where}: {value!r} was read as a {type(value).__name__}; "
            "put it in quotes to use it as text"
        )
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{where}: {_short(value)} is not an allowed value{suggest(str(value), choices)}"
    if kind == "string_pattern_mismatch":
        snake = "_" in str(ctx.get("pattern", ""))
        style = (
            "snake_case (a-z, 0-9 and _, starting with a letter)"
            if snake
            else "kebab-case (e.g. video-recommendations)"
        )
        return f"{where}: {_short(value)} must be {style}"
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return f"{where}: must not be empty"
        return f"{where}: too short (at least {ctx['min_length']} characters)"
    if kind == "too_short":
        return f"{where}: needs at least {ctx.get('min_length', 1)} item(s)"
    if kind in ("model_type", "dict_type"):
        return f"{where}: expected a mapping, got {type(value).__name__}"
    if kind == "list_type":
        return f"{where}: expected a list, got {type(value).__name__}"
    if kind == "value_error":
        return f"{where}: {msg}" if loc else msg
    shown = f", got {_short(value)}" if isinstance(value, str | int | float | bool) else ""
    return f"{where}: {msg}{shown}"


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str] | None:
    """The field names of the (sub)model at ``loc``, for 'did you mean' on unknown keys."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None
