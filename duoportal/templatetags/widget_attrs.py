"""Form widgets' attributes in one filter, for the override of django/forms/widgets/attrs.html.

Django's own attrs.html loops over the attributes in the template language: two thirds
of a text field's rendering, a few hundred microseconds per field on every form screen
(benchmarks/screens.py). This writes the same attributes, in the same order, in Python.
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.filter
def html_attrs(attrs):
    # As attrs.html: False leaves the attribute out, True writes its name alone, and any
    # other value (None included) is written as its str(); names and values escaped.
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', str(value)))
            for name, value in attrs.items()
            if value is not False
        ),
    )
