from django.urls import path

from clusterlab.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
]
