"""The override of Django's widgets/attrs.html writes what Django's own template writes."""

from pathlib import Path

import django
from django import forms
from django.template import engines
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

DJANGOS = Path(django.__file__).parent / "forms/templates/django/forms/widgets/attrs.html"
OURS = Path(__file__).parent.parent / "templates/django/forms/widgets/attrs.html"

values = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.text().map(mark_safe),
)


def render(source, attrs):
    return engines["django"].from_string(source).render({"widget": {"attrs": attrs}})


@given(st.dictionaries(st.text(min_size=1), values))
def test_the_same_attributes_in_the_same_order_as_djangos_template(attrs):
    assert render(OURS.read_text(), attrs) == render(DJANGOS.read_text(), attrs)


def test_the_form_renderer_finds_the_override_and_fields_render_as_before():
    from django.forms.renderers import get_default_renderer

    renderer = get_default_renderer()
    found = renderer.get_template("django/forms/widgets/attrs.html")
    assert Path(found.origin.name) == OURS
    form = forms.Form()
    form.fields["code"] = forms.CharField(
        widget=forms.TextInput(attrs={"autofocus": True, "hidden": False, "data-x": '"<'})
    )
    assert str(form["code"]) == (
        '<input type="text" name="code" autofocus data-x="&quot;&lt;" required id="id_code">'
    )
