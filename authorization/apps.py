from django.apps import AppConfig


class AuthorizationConfig(AppConfig):
    name = "authorization"
    verbose_name = "Order authorization"

    def ready(self):
        from django.contrib import admin
        from django.db.models.signals import post_migrate

        from .admin_base import guard_every_list
        from .roles import sync_role_groups

        # After every app's migrate, since the role groups span the permissions of several apps.
        post_migrate.connect(sync_role_groups, dispatch_uid="sync_role_groups")
        # Every app's admin module is imported by now (the admin app comes first, and finds them).
        guard_every_list(admin.site)
