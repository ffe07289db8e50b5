"""ova.xml: one XML-RPC <value> with XAPI's untyped encoding (strings and ints as bare
text, <boolean>, <double>, <dateTime.iso8601>), and a parser for it. Pure functions."""

import datetime
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape


class DateText(str):
    """A dateTime.iso8601 value kept as its text (e.g. 19700101T00:00:00Z)."""


def _date_text(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y%m%dT%H:%M:%SZ")
    if hasattr(value, "text"):  # the simulator's DateTime
        return value.text
    return str(value.value)  # xmlrpc.client.DateTime


def encode(value, out):
    """Append the XML-RPC encoding of value to the list `out`."""
    if isinstance(value, DateText):
        out.append("<value><dateTime.iso8601>%s</dateTime.iso8601></value>" % escape(value))
    elif isinstance(value, bool):
        out.append("<value><boolean>%d</boolean></value>" % int(value))
    elif isinstance(value, int):
        out.append("<value>%d</value>" % value)
    elif isinstance(value, float):
        out.append("<value><double>%r</double></value>" % value)
    elif isinstance(value, str):
        out.append("<value>%s</value>" % escape(value))
    elif isinstance(value, dict):
        out.append("<value><struct>")
        for key, member in value.items():
            out.append("<member><name>%s</name>" % escape(str(key)))
            encode(member, out)
            out.append("</member>")
        out.append("</struct></value>")
    elif isinstance(value, (list, tuple)):
        out.append("<value><array><data>")
        for member in value:
            encode(member, out)
        out.append("</data></array></value>")
    elif value is None:
        out.append("<value></value>")
    elif hasattr(value, "timetuple") or hasattr(value, "value") or hasattr(value, "text"):
        out.append("<value><dateTime.iso8601>%s</dateTime.iso8601></value>"
                   % _date_text(value))
    else:
        out.append("<value>%s</value>" % escape(str(value)))


def dumps(value):
    out = []
    encode(value, out)
    return "".join(out)


def _decode_value(elem):
    children = list(elem)
    if not children:
        return elem.text or ""
    typed = children[0]
    tag = typed.tag
    if tag in ("string",):
        return typed.text or ""
    if tag in ("int", "i4", "i8"):
        return int(typed.text)
    if tag == "boolean":
        return (typed.text or "").strip() == "1"
    if tag == "double":
        return float(typed.text)
    if tag == "dateTime.iso8601":
        return DateText(typed.text or "")
    if tag == "struct":
        result = {}
        for member in typed.findall("member"):
            result[member.findtext("name") or ""] = _decode_value(member.find("value"))
        return result
    if tag == "array":
        data = typed.find("data")
        return [_decode_value(v) for v in (data.findall("value") if data is not None else [])]
    raise ValueError("unknown XML-RPC type <%s>" % tag)


def loads(text):
    root = ET.fromstring(text)
    if root.tag != "value":
        raise ValueError("ova.xml root is <%s>, expected <value>" % root.tag)
    return _decode_value(root)
