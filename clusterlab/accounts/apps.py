from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-up and the server-rendered account pages; groups `instructor` and `student`."""

    name = "clusterlab.accounts"
    label = "accounts"
    verbose_name = "Accounts"
