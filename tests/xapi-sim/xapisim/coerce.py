"""Input coercion of call parameters, like xapi's unmarshallers (reference §1.2)."""
from .wire import XapiError, DateTime


def to_str(v, what="string"):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        raise XapiError("INTERNAL_ERROR", "Expected %s, got bool" % what)
    if isinstance(v, (int, float)):
        return str(v)
    raise XapiError("INTERNAL_ERROR", "Expected %s, got %s" % (what, type(v).__name__))


def to_int(v):
    if isinstance(v, bool):
        raise XapiError("INTERNAL_ERROR", "Expected int, got bool")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise XapiError("INTERNAL_ERROR", "Expected int, got %r" % (v,))


def to_float(v):
    if isinstance(v, bool):
        raise XapiError("INTERNAL_ERROR", "Expected float, got bool")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            pass
    raise XapiError("INTERNAL_ERROR", "Expected float, got %r" % (v,))


def to_bool(v):
    if isinstance(v, bool):
        return v
    raise XapiError("INTERNAL_ERROR", "Expected bool, got %r" % (v,))


def to_list(v):
    if isinstance(v, list):
        return v
    raise XapiError("INTERNAL_ERROR", "Expected array, got %r" % (v,))


def to_map(v):
    if isinstance(v, dict):
        return {to_str(k): to_str(x) for k, x in v.items()}
    raise XapiError("INTERNAL_ERROR", "Expected struct, got %r" % (v,))


def to_datetime(v):
    if isinstance(v, DateTime):
        return v
    if isinstance(v, str):
        return DateTime(v)
    raise XapiError("INTERNAL_ERROR", "Expected datetime, got %r" % (v,))


def for_field(field, v):
    """Coerce v to the type of a schema Field."""
    k = field.kind
    if k in ("s", "e", "r"):
        return to_str(v)
    if k == "i":
        return to_int(v)
    if k == "f":
        return to_float(v)
    if k == "b":
        return to_bool(v)
    if k == "d":
        return to_datetime(v)
    if k in ("S", "R"):
        return [to_str(x) for x in to_list(v)]
    if k in ("m", "M"):
        return to_map(v)
    return v


def to_map_any(v):
    """A struct parameter kept with its values (create(record) constructors)."""
    if isinstance(v, dict):
        return v
    raise XapiError("INTERNAL_ERROR", "Expected struct, got %r" % (v,))
