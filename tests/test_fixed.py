"""{% fixed %}: markup rendered once per language, which must never differ from rendering it."""

import pytest
from django import template
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.urls import set_script_prefix
from django.utils import translation

LOAD = "{% load i18n static fixed %}"
# A tag library of this module's own, for a subclass of an allowed tag.
register = template.Library()
INSIDE = (
    '<a href="{% url \'portal:home\' %}">{% translate "Skip to content" %}</a>'
    "<link href=\"{% static 'css/portal.css' %}\">"
    "{% url 'portal:authenticator_remove' 7 %}{% url 'portal:authenticator_remove' pk=8 %}"
    "{# a comment #}"
    "{% blocktranslate trimmed %}\n  Each rescue code works once.\n{% endblocktranslate %}"
    "{% translate 'May' context 'month' %}"
)


def render(source, language="en", **context):
    with translation.override(language):
        return Template(LOAD + source).render(Context(context))


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_it_renders_what_the_same_markup_renders_without_it(language):
    fixed = Template(LOAD + "{% fixed %}" + INSIDE + "{% endfixed %}")
    for _ in range(2):  # the first rendering, then the kept one
        with translation.override(language):
            assert fixed.render(Context()) == render(INSIDE, language)


def test_each_language_gets_its_own_rendering():
    fixed = Template(LOAD + "{% fixed %}{% translate 'Skip to content' %}{% endfixed %}")
    seen = []
    for language in ("en", "zh-hant", "en", "zh-hant"):
        with translation.override(language):
            seen.append(fixed.render(Context()))
    assert seen[0] == seen[2] == "Skip to content"
    assert seen[1] == seen[3] == render("{% translate 'Skip to content' %}", "zh-hant")
    assert seen[1] != seen[0]


def test_a_changed_setting_is_rendered_anew(settings):
    fixed = Template(LOAD + "{% fixed %}{% static 'css/portal.css' %}{% endfixed %}")
    first = fixed.render(Context())
    settings.STATIC_URL = "/assets/"
    assert first == "/static/css/portal.css"
    assert fixed.render(Context()) == "/assets/css/portal.css"


def test_a_script_prefix_is_rendered_anew():
    fixed = Template(LOAD + "{% fixed %}{% url 'portal:home' %}{% endfixed %}")
    assert fixed.render(Context()) == "/"
    set_script_prefix("/portal/")
    try:
        assert fixed.render(Context()) == "/portal/"
    finally:
        set_script_prefix("/")
    assert fixed.render(Context()) == "/"


@pytest.mark.parametrize(
    "inside",
    [
        "{{ user.username }}",
        "Hello {{ name }}",
        "{% translate name %}",
        "{% translate 'Skip to content'|upper %}",
        "{% translate 'Skip to content' as words %}",
        "{% translate 'May' context month %}",
        "{% blocktranslate context month %}May{% endblocktranslate %}",
        "{% url 'portal:authenticator_remove' device.pk %}",
        "{% url 'portal:authenticator_remove' pk=device.pk %}",
        "{% url view_name %}",
        "{% url 'portal:home' as home %}",
        "{% static path %}",
        "{% static 'css/portal.css' as css %}",
        "{% csrf_token %}",
        "{% if user %}x{% endif %}",
        "{% include 'includes/messages.html' %}",
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}",
        "{% blocktranslate with name=user.username %}Hello {{ name }}{% endblocktranslate %}",
        "{% blocktranslate count n=3 %}one{% plural %}many{% endblocktranslate %}",
        "{% blocktranslate asvar words %}Hello{% endblocktranslate %}",
        "{% get_current_language as language %}",
    ],
)
def test_it_refuses_anything_that_reads_the_context_when_the_template_is_parsed(inside):
    with pytest.raises(TemplateSyntaxError, match="'fixed' holds only"):
        Template(LOAD + "{% fixed %}" + inside + "{% endfixed %}")


def test_it_refuses_a_subclass_of_an_allowed_tag_which_may_render_anything():
    from django.templatetags.i18n import TranslateNode

    class Greeting(TranslateNode):
        def render(self, context):
            return f"Hello {context['user']}"

    engine = Engine(
        libraries={"greeting": "tests.test_fixed", "fixed": "duoportal.templatetags.fixed"}
    )
    register.tag("greet", lambda parser, token: Greeting(parser.compile_filter("'x'"), noop=False))
    with pytest.raises(TemplateSyntaxError, match="'fixed' holds only"):
        engine.from_string("{% load fixed greeting %}{% fixed %}{% greet %}{% endfixed %}")


def test_it_takes_no_arguments():
    with pytest.raises(TemplateSyntaxError, match="takes no arguments"):
        Template(LOAD + "{% fixed user %}x{% endfixed %}")


def test_a_person_never_sees_what_was_rendered_for_another():
    # The refusal above is what guarantees this; here it is as a visitor would see it.
    page = "{% fixed %}{% translate 'Skip to content' %}{% endfixed %} {{ user }}"
    template = Template(LOAD + page)
    assert template.render(Context({"user": "alice"})).endswith(" alice")
    assert template.render(Context({"user": "bob"})).endswith(" bob")


def test_every_template_of_the_portal_parses_with_it():
    # A fixed block that reads the context fails here, not on a visitor's screen.
    from django.conf import settings

    engine = Engine.get_default()
    names = sorted(
        str(path.relative_to(directory))
        for directory in settings.TEMPLATES[0]["DIRS"]
        for path in directory.rglob("*.html")
        if "{% fixed %}" in path.read_text()
    )
    assert "base.html" in names
    for name in names:
        engine.get_template(name)
