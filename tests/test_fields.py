"""The portal's widgets and {% field %} write what Django's templates and the include they
replaced wrote."""

import pytest
from django import forms
from django.template import engines
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

from bypass.forms import CardCheckForm
from duoportal.forms import AuthenticatorCodeForm, AuthenticatorNameForm, PasscodeForm
from duoportal.widgets import CheckboxInput, TextInput
from rescue.forms import RescueCodeForm

# includes/field.html, which {% field %} replaced.
INCLUDE = """{% comment %}One form field with its label, help and errors.{% endcomment %}
<div class="field{% if field.errors %} has-error{% endif %}">
  <label for="{{ field.id_for_label }}">{{ field.label }}</label>
  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</p>{% endif %}
  {% if field.errors %}<p class="error" id="{{ field.auto_id }}_error" role="alert">{{ field.errors.0 }}</p>{% endif %}
  {{ field }}
</div>
"""  # noqa: E501

texts = st.one_of(st.text(), st.text().map(mark_safe))
attributes = st.dictionaries(
    st.text(min_size=1),
    st.one_of(st.booleans(), st.none(), st.integers(), st.floats(allow_nan=False), texts),
)


@given(st.text(min_size=1), st.one_of(st.none(), texts, st.integers()), attributes, attributes)
def test_a_text_box_is_written_as_djangos_template_writes_it(name, value, own, given_attrs):
    djangos = forms.TextInput(attrs=own).render(name, value, given_attrs)
    assert TextInput(attrs=own).render(name, value, given_attrs) == djangos


@given(st.text(min_size=1), st.one_of(st.none(), st.booleans(), texts), attributes, attributes)
def test_a_checkbox_is_written_as_djangos_template_writes_it(name, value, own, given_attrs):
    checked = forms.CheckboxInput(attrs=own).render(name, value, given_attrs)
    assert CheckboxInput(attrs=own).render(name, value, given_attrs) == checked
    never = {"check_test": lambda value: False}
    assert CheckboxInput(**never).render(name, value) == forms.CheckboxInput(**never).render(
        name, value
    )


FORMS = [
    (CardCheckForm, "serial", {"serial": "x" * 65}),
    (CardCheckForm, "robot", {}),
    (PasscodeForm, "passcode", {"passcode": ""}),
    (RescueCodeForm, "code", {"code": '"<ABCD>'}),
    (AuthenticatorNameForm, "name", {"name": ""}),
    (AuthenticatorCodeForm, "code", {"code": "12"}),
]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
@pytest.mark.parametrize(("form_class", "name", "data"), FORMS)
def test_a_field_is_written_as_the_include_wrote_it(form_class, name, data, language):
    from django.utils import translation

    include = engines["django"].from_string(INCLUDE)
    tag = engines["django"].from_string("{% load fields %}{% field form." + name + " %}")
    with translation.override(language):
        for form in (form_class(), form_class(data), form_class({**data, name: "51002345"})):
            assert tag.render({"form": form}) == include.render({"field": form[name]}).strip()


def test_an_error_is_tied_to_its_field_for_screen_readers():
    form = PasscodeForm({"passcode": ""})
    page = engines["django"].from_string("{% load fields %}{% field form.passcode %}")

    written = page.render({"form": form})

    assert 'class="field has-error"' in written
    assert '<p class="error" id="id_passcode_error" role="alert">Enter the passcode.</p>' in written
    assert 'aria-describedby="id_passcode_helptext id_passcode_error"' in written
    assert 'aria-invalid="true"' in written
