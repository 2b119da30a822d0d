"""{% fixed %}…{% endfixed %}: markup that depends on nothing but the language, rendered
once per language in each process and then repeated.

Most of what a screen writes is the same for every visitor: the masthead, the skip link,
the development banner, headings, instructions, a drawing and its description. In
Django's template language each of those `translate`, `url` and `static` tags costs a few
microseconds of node rendering: rendered once, the signed-out home page went from 0.60 to
0.51 ms (benchmarks/screens.py measures every screen). Inside `fixed`, only text and tags that read
nothing from the context are allowed: `translate`, `url` and `static` of literals and
`blocktranslate` of words alone, none with "as". Anything else is refused when the
template is parsed, so a person's name or a token can never be rendered once and shown
to the next visitor.

The rendering is kept per language and script prefix (both can change the markup), and
forgotten whenever a test changes a setting.
"""

import weakref

from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, TextNode, TokenType, Variable
from django.template.defaulttags import CommentNode, URLNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix
from django.utils import translation

register = template.Library()

# Keyed by the node: a template dropped by the loader (DEBUG reloads each request)
# takes its renderings with it.
_renderings = weakref.WeakKeyDictionary()


def _literal(expression):
    if not isinstance(expression, FilterExpression) or expression.filters:
        return False
    variable = expression.var
    return not isinstance(variable, Variable) or variable.lookups is None


def _constant(node):
    # The node's own class, not a subclass: one with a render() of its own could read
    # anything.
    kind = type(node)
    if kind in (TextNode, CommentNode):
        return True
    if kind in (TranslateNode, BlockTranslateNode) and not (
        node.message_context is None or _literal(node.message_context)
    ):
        # A "context" read from the template's context would choose the translation.
        return False
    if kind is TranslateNode:
        return node.asvar is None and _literal(node.filter_expression)
    if kind is BlockTranslateNode:
        # Words alone: no "with", "count" or "as", and no {{ variable }} among them.
        return (
            not node.extra_context
            and node.countervar is None
            and node.asvar is None
            and all(token.token_type == TokenType.TEXT for token in node.singular)
        )
    if kind is StaticNode:
        return node.varname is None and _literal(node.path)
    if kind is URLNode:
        return (
            node.asvar is None
            and _literal(node.view_name)
            and all(_literal(argument) for argument in node.args)
            and all(_literal(argument) for argument in node.kwargs.values())
        )
    return False


class FixedNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        key = (translation.get_language(), get_script_prefix())
        renderings = _renderings.setdefault(self, {})
        if key not in renderings:
            renderings[key] = self.nodelist.render(context)
        return renderings[key]


@register.tag
def fixed(parser, token):
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("'fixed' takes no arguments.")
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    for node in nodelist:
        if not _constant(node):
            raise template.TemplateSyntaxError(
                "'fixed' holds only text, and translate, blocktranslate, url and static of "
                f"literals: {node.token.contents!r} at line {node.token.lineno} reads the context."
            )
    return FixedNode(nodelist)


def _forget(**kwargs):
    _renderings.clear()


setting_changed.connect(_forget)
