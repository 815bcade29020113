"""Users and groups are administered with django.contrib.auth's own admin."""
