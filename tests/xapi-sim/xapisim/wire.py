"""XAPI wire codec: XML-RPC and JSON-RPC values, envelopes and request parsing.

Values are plain Python: str (also refs, enums), int (64-bit), bool, float, list, dict,
plus DateTime, I4 (the only <i4> XAPI emits: valid_ref_counts) and PreEncoded (a value
already encoded in both formats, used for cached records). Any thread; no state.
"""
import json
import re
import time
import xml.etree.ElementTree as ET


class XapiError(Exception):
    """An API failure: code plus string parameters (ErrorDescription)."""

    def __init__(self, code, *params):
        super().__init__(code)
        self.code = code
        self.params = [str(p) for p in params]

    def description(self):
        return [self.code] + self.params


class MalformedRequest(Exception):
    """A request XAPI would refuse with HTTP 500 (bad XML/JSON, missing id...)."""


class DateTime:
    """A XAPI datetime, kept in the compact form YYYYMMDDTHH:MM:SSZ."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    @staticmethod
    def from_unix(t):
        return DateTime(time.strftime("%Y%m%dT%H:%M:%SZ", time.gmtime(t)))

    @staticmethod
    def now():
        return DateTime.from_unix(time.time())

    def __eq__(self, other):
        return isinstance(other, DateTime) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return "DateTime(%r)" % self.text


EPOCH = DateTime("19700101T00:00:00Z")


class I4(int):
    """An Int32 value: encoded <i4> in XML-RPC (XAPI uses it only for ref counts)."""


class PreEncoded:
    """A value that encodes itself (cached records, event items): encoders splice
    to_xml() / to_json() verbatim. Subclasses implement both."""
    __slots__ = ()

    def to_xml(self):
        raise NotImplementedError

    def to_json(self):
        raise NotImplementedError

    def xml_parts(self, out):
        out.append(self.to_xml())

    def json_parts(self, out):
        out.append(self.to_json())


class Raw(PreEncoded):
    """Fixed text for both wires."""
    __slots__ = ("xml", "json")

    def __init__(self, xml_text, json_text):
        self.xml = xml_text
        self.json = json_text

    def to_xml(self):
        return self.xml

    def to_json(self):
        return self.json


# ---------------------------------------------------------------- XML-RPC encoding

_CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f]')


def _xml_escape(s):
    # XAPI escapes & < > " and silently drops control characters except TAB/LF/CR.
    if not _SPECIAL.search(s):
        return s
    if _CTRL.search(s):
        s = _CTRL.sub("", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


_MEMBER = {}


def xml_record(rec):
    """A record (flat dict of plain values) as one <value><struct>: the hot path of
    big dumps, so strings, ints and bools are inlined."""
    out = ["<value><struct>"]
    for k, v in rec.items():
        head = _MEMBER.get(k)
        if head is None:
            head = _MEMBER[k] = "<member><name>%s</name>" % _xml_escape(k)
        t = type(v)
        if t is str:
            out.append("%s<value>%s</value></member>" % (head, _xml_escape(v)))
        elif t is int:
            out.append("%s<value>%d</value></member>" % (head, v))
        elif t is bool:
            out.append(head + ("<value><boolean>1</boolean></value></member>" if v
                               else "<value><boolean>0</boolean></value></member>"))
        else:
            out.append(head)
            xml_value(v, out)
            out.append("</member>")
    out.append("</struct></value>")
    return "".join(out)


def _json_default(o):
    if isinstance(o, DateTime):
        return o.text
    raise TypeError("cannot encode %r" % (o,))


_JSON_RECORD = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                                default=_json_default).encode


def json_record(rec):
    """A record as JSON text through the C encoder (records hold no PreEncoded)."""
    return _JSON_RECORD(rec)


def format_double(f):
    return "%.16g" % f


def xml_value(v, out):
    """Append the <value>…</value> encoding of v to list out."""
    t = type(v)
    if t is str:
        out.append("<value>")
        out.append(_xml_escape(v))
        out.append("</value>")
    elif t is bool:
        out.append("<value><boolean>1</boolean></value>" if v else "<value><boolean>0</boolean></value>")
    elif t is int:
        out.append("<value>%d</value>" % v)
    elif t is I4:
        out.append("<value><i4>%d</i4></value>" % v)
    elif t is float:
        out.append("<value><double>%s</double></value>" % format_double(v))
    elif t is dict:
        out.append("<value><struct>")
        for k, x in v.items():
            out.append("<member><name>")
            out.append(_xml_escape(str(k)))
            out.append("</name>")
            xml_value(x, out)
            out.append("</member>")
        out.append("</struct></value>")
    elif t is list or t is tuple:
        out.append("<value><array><data>")
        for x in v:
            xml_value(x, out)
        out.append("</data></array></value>")
    elif t is DateTime:
        out.append("<value><dateTime.iso8601>%s</dateTime.iso8601></value>" % v.text)
    elif isinstance(v, PreEncoded):
        v.xml_parts(out)
    elif v is None:
        out.append("<value></value>")
    else:
        raise TypeError("cannot encode %r" % (v,))
    return out


def xml_fragment(v):
    """One value as a string: what task.result holds."""
    return "".join(xml_value(v, []))


_XML_HEAD = '<?xml version="1.0"?><methodResponse><params><param>'
_XML_TAIL = "</param></params></methodResponse>"


def xml_success(v):
    return "".join(xml_success_parts(v))


def xml_success_parts(v):
    out = [_XML_HEAD, "<value><struct><member><name>Status</name><value>Success</value></member>"
           "<member><name>Value</name>"]
    xml_value(v, out)
    out.append("</member></struct></value>")
    out.append(_XML_TAIL)
    return out


def xml_failure(err):
    out = [_XML_HEAD, "<value><struct><member><name>Status</name><value>Failure</value></member>"
           "<member><name>ErrorDescription</name>"]
    xml_value(err.description(), out)
    out.append("</member></struct></value>")
    out.append(_XML_TAIL)
    return "".join(out)


def xml_bare(v):
    """Response without the Status envelope (system.listMethods)."""
    out = [_XML_HEAD]
    xml_value(v, out)
    out.append(_XML_TAIL)
    return "".join(out)


# ---------------------------------------------------------------- XML-RPC parsing

def _parse_value(el):
    children = list(el)
    if not children:
        return el.text or ""
    c = children[0]
    tag, text = c.tag, (c.text or "")
    if tag == "string":
        return text
    if tag in ("int", "i4", "i8"):
        try:
            return int(text.strip())
        except ValueError:
            raise MalformedRequest("Xmlrpc.Parse_error(int, %s)" % text)
    if tag == "boolean":
        return text.strip() == "1"
    if tag == "double":
        try:
            return float(text.strip())
        except ValueError:
            raise MalformedRequest("Xmlrpc.Parse_error(double, %s)" % text)
    if tag == "dateTime.iso8601":
        return DateTime(text.strip())
    if tag == "base64":
        return text
    if tag == "nil":
        return None
    if tag == "array":
        data = c.find("data")
        return [] if data is None else [_parse_value(v) for v in data.findall("value")]
    if tag == "struct":
        d = {}
        for m in c.findall("member"):
            name = m.find("name")
            val = m.find("value")
            if name is None or val is None:
                raise MalformedRequest("Xmlrpc.Parse_error(member)")
            d[name.text or ""] = _parse_value(val)
        return d
    raise MalformedRequest("Xmlrpc.Parse_error(unknown tag %s)" % tag)


def parse_xml_call(body):
    """bytes → (method, params). Raises MalformedRequest like xapi's 500 path."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise MalformedRequest("Xmlrpc.Parse_error(%s)" % e)
    if root.tag != "methodCall":
        raise MalformedRequest("Xmlrpc.Parse_error(methodCall, %s)" % root.tag)
    name = root.find("methodName")
    params = root.find("params")
    if name is None or params is None:
        raise MalformedRequest("Xmlrpc.Parse_error(methodName/params missing)")
    values = []
    for p in params.findall("param"):
        v = p.find("value")
        if v is None:
            raise MalformedRequest("Xmlrpc.Parse_error(param without value)")
        values.append(_parse_value(v))
    return (name.text or "").strip(), values


# ---------------------------------------------------------------- JSON-RPC

_json_str = json.JSONEncoder(ensure_ascii=False).encode


def json_value(v, out):
    t = type(v)
    if t is str:
        out.append(_json_str(v))
    elif t is bool:
        out.append("true" if v else "false")
    elif t is int or t is I4:
        out.append("%d" % v)
    elif t is float:
        out.append(repr(v) if v == v and v not in (float("inf"), float("-inf")) else "0")
    elif t is dict:
        out.append("{")
        first = True
        for k, x in v.items():
            if not first:
                out.append(",")
            first = False
            out.append(_json_str(str(k)))
            out.append(":")
            json_value(x, out)
        out.append("}")
    elif t is list or t is tuple:
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            json_value(x, out)
        out.append("]")
    elif t is DateTime:
        out.append(_json_str(v.text))
    elif isinstance(v, PreEncoded):
        v.json_parts(out)
    elif v is None:
        out.append('""')
    else:
        raise TypeError("cannot encode %r" % (v,))
    return out


def json_text(v):
    return "".join(json_value(v, []))


def parse_json_call(body):
    """bytes → (version, method, params, id_json_text). Raises MalformedRequest."""
    try:
        req = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedRequest("Jsonrpc.Malformed_method_request(%s)" % e)
    if not isinstance(req, dict):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(not an object)")
    if "jsonrpc" in req:
        if req["jsonrpc"] != "2.0":
            raise MalformedRequest("Jsonrpc.Malformed_method_request(jsonrpc version)")
        version = 2
    else:
        version = 1
    method = req.get("method")
    if not isinstance(method, str):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(method)")
    rid = req.get("id")
    if rid is None or isinstance(rid, bool) or not isinstance(rid, (int, str)):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(id)")
    params = req.get("params")
    if params is None:
        if version == 1:
            raise MalformedRequest("Jsonrpc.Malformed_method_request(params)")
        params = []
    elif isinstance(params, dict):
        params = [params]
    elif not isinstance(params, list):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(params)")
    return version, method, [_from_json(p) for p in params], json.dumps(rid)


def _from_json(v):
    if isinstance(v, float) and v.is_integer() and False:
        return int(v)
    if isinstance(v, list):
        return [_from_json(x) for x in v]
    if isinstance(v, dict):
        return {k: _from_json(x) for k, x in v.items()}
    return v


def json_success(version, rid, v):
    return "".join(json_success_parts(version, rid, v))


def json_success_parts(version, rid, v):
    out = ['{"jsonrpc":"2.0","result":' if version == 2 else '{"result":']
    json_value(v, out)
    out.append(',"id":%s}' % rid if version == 2 else ',"error":null,"id":%s}' % rid)
    return out


def encode_parts(parts, batch=1 << 20):
    """str pieces → (total byte length, list of bytes chunks of about `batch` bytes),
    without building one giant string (dumps of big pools are hundreds of MB)."""
    chunks, cur, size = [], [], 0
    for p in parts:
        cur.append(p)
        size += len(p)
        if size >= batch:
            chunks.append("".join(cur).encode("utf-8"))
            cur, size = [], 0
    if cur:
        chunks.append("".join(cur).encode("utf-8"))
    return sum(len(c) for c in chunks), chunks


def json_failure(version, rid, err):
    if version == 2:
        return '{"jsonrpc":"2.0","error":{"code":1,"message":%s,"data":%s},"id":%s}' % (
            _json_str(err.code), json_text(err.params), rid)
    return '{"result":null,"error":%s,"id":%s}' % (json_text(err.description()), rid)
