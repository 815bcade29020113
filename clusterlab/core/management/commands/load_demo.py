"""Create the demo account and its demo cluster if they do not exist yet. Idempotent.

The cluster is loaded from clusterlab/labs/demo/demo-cluster.yaml through the same
apply path as the API (validated by the engine, recorded as a revision).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USER = "demo"
DEMO_PASSWORD = "clusterlab-demo"
DEMO_CLUSTER = "Demo shop"
DEMO_MANIFEST = Path(__file__).resolve().parents[3] / "labs" / "demo" / "demo-cluster.yaml"


class Command(BaseCommand):
    help = "Create the demo user and demo cluster if they do not exist yet."

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=DEMO_USER)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(f"demo user {'created' if created else 'present'}: {DEMO_USER}")
        self._demo_cluster(user)

    def _demo_cluster(self, user) -> None:  # type: ignore[no-untyped-def]
        from clusterlab.labs import apply
        from clusterlab.labs.changes import create_cluster
        from clusterlab.labs.models import Cluster

        if Cluster.objects.filter(owner=user, name=DEMO_CLUSTER).exists():
            self.stdout.write(f"demo cluster present: {DEMO_CLUSTER}")
            return
        cluster = create_cluster(user, name=DEMO_CLUSTER, description=(
            "A small shop and its monitoring on Calico (IPIP): default-deny plus allow "
            "policies, ClusterIP, NodePort and headless Services."))
        docs = apply.parse_text(DEMO_MANIFEST.read_text(), DEMO_MANIFEST.name)
        result = apply.apply(cluster, user, docs, message="demo manifest")
        self.stdout.write(f"demo cluster created: {DEMO_CLUSTER} (id {cluster.pk}, "
                          f"{len(result.created)} objects, version "
                          f"{result.cluster.resource_version})")
