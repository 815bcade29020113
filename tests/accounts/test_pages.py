"""Sign up, log in, log out, change password: the server-rendered account pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

PASSWORD = "correct-Horse-battery-9"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_groups_exist_from_the_data_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {"instructor", "student"}


def test_signup_page_renders_with_csrf(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b'name="password1"' in response.content and b'name="password2"' in response.content


def test_signup_creates_a_student_and_logs_in(client):
    response = client.post("/accounts/signup/", {"username": "carol", "password1": PASSWORD,
                                                 "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    user = get_user_model().objects.get(username="carol")
    assert list(user.groups.values_list("name", flat=True)) == ["student"]
    assert not user.is_staff
    assert client.get("/api/clusters/").status_code == 200  # session works for the API


def test_signup_rejects_weak_or_mismatched_passwords(client):
    response = client.post("/accounts/signup/", {"username": "dave", "password1": "123",
                                                 "password2": "123"})
    assert response.status_code == 200
    assert b"too short" in response.content
    response = client.post("/accounts/signup/", {"username": "dave", "password1": PASSWORD,
                                                 "password2": PASSWORD + "x"})
    assert b"didn" in response.content  # "The two password fields didn’t match."
    assert not get_user_model().objects.filter(username="dave").exists()


def test_signup_rejects_a_taken_username(client, django_user_model):
    django_user_model.objects.create_user("erin", password=PASSWORD)
    response = client.post("/accounts/signup/", {"username": "erin", "password1": PASSWORD,
                                                 "password2": PASSWORD})
    assert response.status_code == 200
    assert b"already exists" in response.content


def test_login_and_logout(client, django_user_model):
    django_user_model.objects.create_user("frank", password=PASSWORD)
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"/accounts/signup/" in page.content
    bad = client.post("/accounts/login/", {"username": "frank", "password": "nope"})
    assert bad.status_code == 200 and b"didn't match" in bad.content
    good = client.post("/accounts/login/", {"username": "frank", "password": PASSWORD})
    assert good.status_code == 302
    assert client.get("/api/clusters/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/api/clusters/").status_code == 403


def test_password_change(client, django_user_model):
    user = django_user_model.objects.create_user("gina", password=PASSWORD)
    assert client.get("/accounts/password_change/").status_code == 302  # login first
    client.force_login(user)
    form = client.get("/accounts/password_change/")
    assert form.status_code == 200 and b"Change your password" in form.content
    wrong = client.post("/accounts/password_change/", {
        "old_password": "wrong", "new_password1": PASSWORD + "2",
        "new_password2": PASSWORD + "2"})
    assert wrong.status_code == 200 and b"incorrect" in wrong.content
    done = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": PASSWORD + "2",
        "new_password2": PASSWORD + "2"}, follow=True)
    assert done.status_code == 200 and b"Password changed" in done.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD + "2")


def test_signed_in_users_are_sent_home_from_signup(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("hank", password=PASSWORD))
    assert client.get("/accounts/signup/").status_code == 302
