"""Create the demo account (and, once the labs app has it, the demo cluster). Idempotent."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USER = "demo"
DEMO_PASSWORD = "clusterlab-demo"


class Command(BaseCommand):
    help = "Create the demo user and demo cluster if they do not exist yet."

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=DEMO_USER)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(f"demo user {'created' if created else 'present'}: {DEMO_USER}")
