"""Sign-up: a server-rendered form; new users join the `student` group and are logged in."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from clusterlab.accounts.forms import SignupForm

STUDENT_GROUP = "student"
INSTRUCTOR_GROUP = "instructor"


@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("/")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        group, _ = Group.objects.get_or_create(name=STUDENT_GROUP)
        user.groups.add(group)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(request.POST.get("next") or "/")
    return render(request, "registration/signup.html", {"form": form})
