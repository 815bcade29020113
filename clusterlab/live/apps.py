from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "clusterlab.live"
    label = "live"

    def ready(self) -> None:
        from clusterlab.live import broadcast  # noqa: F401  (connects the signal receiver)
