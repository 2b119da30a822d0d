from django.urls import path

from bypass import views

app_name = "bypass"
urlpatterns = [
    path("", views.info, name="info"),
    path("card/", views.card_start, name="card_start"),
    path("card/check/", views.card, name="card"),
    path("card/verified/", views.card_verified, name="card_verified"),
    path("card/code/", views.card_issue, name="card_issue"),
]
