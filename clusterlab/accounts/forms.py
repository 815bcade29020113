from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    """Username and password twice, validated by AUTH_PASSWORD_VALIDATORS."""
