"""The portal's text boxes and checkbox, written in Python instead of through templates.

Django renders a widget through three templates (text.html, input.html, attrs.html), and
that was most of a form screen's time over a bare view (benchmarks/screens.py). These
write the same markup as Django's own templates, which tests/test_fields.py compares
them with. Widgets with markup of their own (reCAPTCHA's) keep their templates.
"""

from django import forms
from django.utils.html import format_html

from duoportal.templatetags.widget_attrs import html_attrs


class WrittenInPython:
    """A widget of <input>'s markup, written as django/forms/widgets/input.html writes it."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value = widget["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            "" if value is None else format_html(' value="{}"', str(value)),
            html_attrs(widget["attrs"]),
        )


class TextInput(WrittenInPython, forms.TextInput):
    pass


class CheckboxInput(WrittenInPython, forms.CheckboxInput):
    pass
