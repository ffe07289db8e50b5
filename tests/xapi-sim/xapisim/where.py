"""The expression language of <Class>.get_all_records_where (xapi's db_filter):
  expr := or ; or := and ("or" and)* ; and := unary ("and" unary)*
  unary := "not" unary | "(" expr ")" | "true" | "false" | val "=" val | val "<>" val
  val := 'field' "name" | "literal"
Values compare as strings (bools as true/false). Pure functions; any thread."""
import re

from .wire import XapiError, DateTime

_TOKEN = re.compile(r'\s*(?:(\()|(\))|(<>|=)|"((?:[^"\\]|\\.)*)"|([A-Za-z_]+))')


def _tokens(text):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise XapiError("INTERNAL_ERROR", "cannot parse expression: %s" % text)
        lp, rp, op, s, word = m.groups()
        out.append(("str", s.replace('\\"', '"')) if s is not None else
                   ("word", word.lower()) if word is not None else ("op", lp or rp or op))
        pos = m.end()
    return out


def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, DateTime):
        return v.text
    return str(v)


def compile_where(text):
    """→ predicate(record dict) → bool; raises XapiError on syntax errors."""
    toks = _tokens(text)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else (None, None)

    def take(kind=None, value=None):
        t = peek()
        if t[0] is None or (kind and t[0] != kind) or (value and t[1] != value):
            raise XapiError("INTERNAL_ERROR", "cannot parse expression: %s" % text)
        pos[0] += 1
        return t

    def val():
        if peek() == ("word", "field"):
            take()
            name = take("str")[1]
            return lambda r: _text(r.get(name, ""))
        lit = take("str")[1]
        return lambda r: lit

    def unary():
        t = peek()
        if t == ("word", "not"):
            take()
            e = unary()
            return lambda r: not e(r)
        if t == ("op", "("):
            take()
            e = orx()
            take("op", ")")
            return e
        if t in (("word", "true"), ("word", "false")):
            take()
            return (lambda r: True) if t[1] == "true" else (lambda r: False)
        a = val()
        op = take("op")[1]
        b = val()
        return (lambda r: a(r) == b(r)) if op == "=" else (lambda r: a(r) != b(r))

    def andx():
        e = unary()
        while peek() == ("word", "and"):
            take()
            e = (lambda x, y: lambda r: x(r) and y(r))(e, unary())
        return e

    def orx():
        e = andx()
        while peek() == ("word", "or"):
            take()
            e = (lambda x, y: lambda r: x(r) or y(r))(e, andx())
        return e

    pred = orx()
    if pos[0] != len(toks):
        raise XapiError("INTERNAL_ERROR", "cannot parse expression: %s" % text)
    return pred
