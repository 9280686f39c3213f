"""The one config system: declared pydantic schemas with beasty's error messages.

Every setting is declared once, as a typed field of a :class:`Schema` with
its default, its range (:func:`within`) and a docstring (the field's
description).  Validation is strict (no strings for numbers, no 1 for true)
and refuses NaN, infinities and unknown keys; :func:`explain` turns
pydantic's errors into one line per fault that names the dotted key and
what it must be (``ppo.learning_rate must be a number, got 'fast'``).  The
training config (:mod:`beasty.train.config`), expert iteration's
(:mod:`beasty.train.expert`) and the web API's request bodies
(:mod:`beasty.play.web`) are all declared this way.
"""

from __future__ import annotations

import typing
from typing import Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

S = TypeVar("S", bound="Schema")


class Schema(BaseModel):
    """A strict settings schema: typed fields, documented by their docstrings."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        validate_assignment=True,
    )


def _number(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def within(low: float, high: float, *, open_low: bool = False, open_high: bool = False) -> AfterValidator:
    """A field's range, ``[low, high]`` (an end left out with ``open_low`` or
    ``open_high``), checked with the message every config error uses."""
    text = f"{'(' if open_low else '['}{_number(low)}, {_number(high)}{')' if open_high else ']'}"

    def check(value: Any) -> Any:
        above = low < value if open_low else low <= value
        if not above or not (value < high if open_high else value <= high):
            raise ValueError(f"must be in {text}, got {value!r}")
        return value

    check.allowed = text  # type: ignore[attr-defined]  # read by describe()
    return AfterValidator(check)


def one_of(choices: tuple[str, ...]) -> AfterValidator:
    """A field that takes one of ``choices``."""

    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    check.allowed = " / ".join(choices)  # type: ignore[attr-defined]  # read by describe()
    return AfterValidator(check)


def _even(value: int) -> int:
    if value % 2:
        raise ValueError(f"must be even (mirrored deals), got {value}")
    return value


#: A count of games played on mirrored deals (each deal from both seats).
even = AfterValidator(_even)


_KINDS = {
    "bool_type": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
    "finite_number": "a finite number",
    "string_type": "a string",
    "model_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
}


def explain(error: ValidationError) -> str:
    """One line per fault: unknown keys together, then each other key with
    what it must be.  A validator's message that starts with "must" follows
    its field's key; any other names its own keys inside the mapping at fault."""
    unknown, faults = [], []
    for e in error.errors(include_url=False):
        key = ".".join(str(part) for part in e["loc"])
        if e["type"] == "extra_forbidden":
            unknown.append(key)
        elif e["type"] in _KINDS:
            faults.append(f"{key} must be {_KINDS[e['type']]}, got {e['input']!r}")
        elif e["type"] in ("value_error", "assertion_error"):
            message = str(e["ctx"]["error"])
            if message.startswith("must"):
                faults.append(f"{key} {message}")
            else:
                faults.append(f"{key}.{message}" if key else message)
        elif e["type"] == "literal_error":
            faults.append(f"{key} must be {e['ctx']['expected']}, got {e['input']!r}")
        else:
            faults.append(f"{key}: {e['msg']}, got {e['input']!r}")
    lines = [f"unknown config key(s): {', '.join(unknown)}"] if unknown else []
    return "; ".join(lines + faults)


def parse(model: type[S], data: Any, error: type[Exception]) -> S:
    """``model`` from a mapping, or ``error`` with :func:`explain`'s message."""
    if not isinstance(data, dict):
        raise error(f"the settings must be a mapping, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise error(explain(e)) from None


def _declared(metadata: Any) -> str | None:
    """The ``allowed`` text that :func:`within` or :func:`one_of` left in a field's metadata."""
    for item in metadata:
        allowed = getattr(getattr(item, "func", None), "allowed", None)
        if allowed is not None:
            return str(allowed)
    return None


def _allowed(spec: Any) -> str:
    """The values a field takes: its declared range or choices, else its type."""
    allowed = _declared(spec.metadata)
    if allowed is not None:
        return allowed
    args: tuple[Any, ...] = typing.get_args(spec.annotation)
    if typing.get_origin(spec.annotation) is dict:
        allowed = _declared(getattr(args[1], "__metadata__", ()))
        if allowed is not None:
            return f"a mapping, each value in {allowed}"
    for arg in args if type(None) in args else ():  # an optional range: X | None
        allowed = _declared(getattr(arg, "__metadata__", ()))
        if allowed is not None:
            return f"{allowed} or null"
    names = {bool: "true / false", str: "text", int: "an integer", float: "a number"}
    return names.get(spec.annotation, str(spec.annotation).replace("typing.", ""))


def describe(settings: type[Schema] | Schema, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(dotted key, default, allowed values, description) per setting of a
    schema, or of one instance (its values as the defaults), nested schemas
    flattened: the docs' tables come from here."""
    instance = settings if isinstance(settings, Schema) else settings()
    rows = []
    for name, spec in type(instance).model_fields.items():
        value = getattr(instance, name)
        if isinstance(value, Schema):
            rows += describe(value, f"{prefix}{name}.")
        else:
            text = " ".join((spec.description or "").split())
            rows.append((prefix + name, repr(value), _allowed(spec), text))
    return rows
