from django.apps import AppConfig


class LabsConfig(AppConfig):
    """User-built clusters: persistence, REST API, manifests, revisions, permissions."""

    name = "clusterlab.labs"
    label = "labs"
    verbose_name = "Labs"
