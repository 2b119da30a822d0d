"""{% field form.name %}: one form field with its label, help and error, tied together for
screen readers (the help and the error are the ids Django's aria-describedby names).

Written in Python for the time a template include costs on every form screen
(benchmarks/screens.py); tests/test_fields.py holds the markup it replaced and compares.
"""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def field(bound):
    errors = bound.errors
    return format_html(
        '<div class="field{}">\n  <label for="{}">{}</label>\n  {}\n  {}\n  {}\n</div>',
        " has-error" if errors else "",
        bound.id_for_label,
        bound.label,
        format_html('<p class="help" id="{}_helptext">{}</p>', bound.auto_id, bound.help_text)
        if bound.help_text
        else "",
        format_html('<p class="error" id="{}_error" role="alert">{}</p>', bound.auto_id, errors[0])
        if errors
        else "",
        str(bound),
    )
