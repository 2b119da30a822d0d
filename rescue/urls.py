from django.urls import path

from rescue import views

app_name = "rescue"
urlpatterns = [
    path("", views.start, name="start"),
    path("code/", views.submit, name="submit"),
    path("new/", views.generate, name="generate"),
]
